using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>
/// What the KubeVirt release each cluster declares can do for this plan, reported at the cluster's
/// `kubevirt.version`: a release Reconcile cannot render for (RC3020), and a downtime limit the
/// release will not apply to the migrations it sends (RC3021, seed S23). The planner predicts with
/// the limit that really applies (<see cref="KubeVirtInstall.EffectiveMaxDowntime"/>).
/// </summary>
public sealed class KubeVirtReleaseRule : IPlanRule
{
    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        if (scope.Topology is null)
        {
            return;
        }

        var used = scope.Plan.Moves.SelectMany(m => new[] { m.From, m.Via, m.To }).OfType<string>()
            .Distinct().Select(scope.Cluster).OfType<Cluster>().OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        foreach (var cluster in used.Where(c => !Supported(c.KubeVirt)))
        {
            diagnostics.Write(DiagnosticCatalog.KubeVirtReleaseUnsupported.At(VersionLocation(cluster),
                $"cluster {cluster.Name} runs KubeVirt {cluster.KubeVirt.Describe()}; Reconcile renders for a declared release from v{KubeVirtInstall.OldestSupported} on"));
        }

        var wanted = scope.Plan.Strategy.MaxDowntime;
        if (wanted == QemuDefaults.MaxDowntime)
        {
            return;
        }

        // The source's virt-launcher runs the migration monitor, so the sending cluster's release decides.
        var senders = scope.Plan.Moves.Where(m => scope.ModeOf(m) != MoveMode.Cold).SelectMany(m => m.Hops.Select(h => h.From))
            .Distinct().Select(scope.Cluster).OfType<Cluster>().Where(c => Supported(c.KubeVirt) && !c.KubeVirt.HonoursMaxDowntime)
            .OrderBy(c => c.Name, StringComparer.Ordinal);
        foreach (var cluster in senders)
        {
            var why = cluster.KubeVirt.Version >= new Version(1, 9)
                ? $"its MigrationPolicy admitter refuses maxDowntimeMs without the {KubeVirtInstall.MigrationStallDetectionGate} feature gate"
                : "the release has no maxDowntimeMs (it appears in v1.9.0, with the MigrationStallDetection feature gate)";
            diagnostics.Write(DiagnosticCatalog.MaxDowntimeNotEnforced.At(VersionLocation(cluster),
                $"strategy.maxDowntime {Quantities.FormatDuration(wanted)} does not apply to migrations sent from {cluster.Name} (KubeVirt {cluster.KubeVirt.Describe()}): {why}, so QEMU's default of {Quantities.FormatDuration(QemuDefaults.MaxDowntime)} applies and the plan is predicted with it"));
        }
    }

    private static bool Supported(KubeVirtInstall kubevirt) => kubevirt.Version is { } v && v >= KubeVirtInstall.OldestSupported;

    internal static SourceLocation VersionLocation(Cluster cluster) => cluster.Source.Child("kubevirt").At("version");
}
