using Reconcile.Compiler.Model;
using Reconcile.Compiler.Rendering;

namespace Reconcile.Compiler.Facts;

/// <summary>
/// Reconcile's own naming, in one place for the compiler that renders and the reconciler that
/// executes: label and annotation keys, namespaces, where a VM's objects live in each cluster, and
/// where a plan's files are in the output tree.
/// </summary>
public static class Conventions
{
    public const string Group = "migration.reconcile.dev";
    public const string LabelPrefix = Group + "/";
    public const string RunApiVersion = Group + "/v1alpha1";
    public const string RunKind = "MigrationRun";

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedBy = "reconcile";
    public const string PlanLabel = LabelPrefix + "plan";
    public const string MoveLabel = LabelPrefix + "move";
    public const string StepLabel = LabelPrefix + "step";
    public const string PriorityLabel = LabelPrefix + "priority";

    /// <summary>Marks a rendered object that is a server-side-apply patch of fields of an object Reconcile does not own.</summary>
    public const string ApplyAnnotation = LabelPrefix + "apply";

    /// <summary>The run strategy a VM had before a cold move or a staged cut-over stopped it (for its copy, and for a rollback).</summary>
    public const string OriginalRunStrategyAnnotation = LabelPrefix + "run-strategy";

    /// <summary>Namespace of the MigrationRuns, beside the reconciler.</summary>
    public const string RunNamespace = "reconcile-system";

    /// <summary>Namespace of KubeVirt's own pods (virt-handler, the synchronization controller) and ConfigMaps.</summary>
    public const string KubeVirtNamespace = "kubevirt";

    /// <summary>Steps that reverse a finished migration are named after it with this prefix.</summary>
    public const string RollbackPrefix = "rollback-";

    public static bool IsRollback(string stepId) => stepId.StartsWith(RollbackPrefix, StringComparison.Ordinal);

    /// <summary>Where a VM's objects live in <paramref name="cluster"/>: its own namespace in the cluster it comes from, the move's targetNamespace elsewhere.</summary>
    public static string NamespaceOn(Vm vm, Move move, string cluster) => cluster == vm.Cluster ? vm.Namespace : move.TargetNamespace ?? vm.Namespace;

    /// <summary>The same rule from a VM's id and its source cluster, for code that has no Vm at hand.</summary>
    public static string NamespaceOn(string vmNamespace, string vmCluster, Move? move, string cluster) =>
        move is null || cluster == vmCluster ? vmNamespace : move.TargetNamespace ?? vmNamespace;

    /// <summary>A plan's folder in the output tree: the root when it is the only plan, else its name.</summary>
    public static string PlanPrefix(int plans, string plan) => plans == 1 ? "" : plan + "/";

    public static string StepFile(string cluster, string stepId) => $"{cluster}/steps/{FileStem(stepId)}.yaml";

    public static string RollbackFile(string cluster, string stepId) => $"{cluster}/rollback/{FileStem(stepId)}.yaml";

    /// <summary>
    /// A step id as a file name: ids of VMs with names near Kubernetes' 253 characters would pass the
    /// 255 bytes a file name may have, so long ones keep their start and end in a hash of the whole.
    /// </summary>
    private static string FileStem(string stepId) =>
        stepId.Length <= 200 ? stepId
            : $"{stepId[..150]}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(stepId)))[..16]}";

    /// <summary>The Kubernetes name of a step's objects (and of a rollback's, with its prefix).</summary>
    public static string ObjectName(string plan, string stepId) => KubernetesName.Of(plan, stepId);

    /// <summary>The labels every object Reconcile renders for a plan carries (and a move's, with it).</summary>
    public static SortedDictionary<string, string> OwnedLabels(string plan, string? move = null)
    {
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [ManagedByLabel] = ManagedBy,
            [PlanLabel] = KubernetesName.Of(plan),
        };
        if (move is not null)
        {
            labels[MoveLabel] = KubernetesName.Of(move);
        }

        return labels;
    }
}
