using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Model;
using Scriban.Runtime;

namespace Reconcile.Compiler.Rendering;

/// <summary>
/// The policies that open live migrations on one cluster, for the isolation its topology declares
/// (migration.isolatedBy): NetworkPolicy for virt-handler when migrations use the pod network and for
/// virt-synchronization-controller always; MultiNetworkPolicy for virt-handler on a Multus migration
/// network. Nothing where the cluster declares no isolation: a policy that selects a pod isolates it,
/// and KubeVirt's other traffic to that pod would then be refused.
/// </summary>
internal static class MigrationPolicies
{
    /// <summary>Pod label KubeVirt gives each component (pkg/virt-operator/resource/generate/components/deployments.go, kubevirtLabelKey).</summary>
    private const string Handler = "virt-handler";
    private const string SynchronizationController = "virt-synchronization-controller";

    public static IEnumerable<(string File, ScriptObject Policy)> For(string plan, Cluster cluster, IReadOnlyList<Cluster> peers)
    {
        var isolation = cluster.Migration.IsolatedBy;
        var peerCidrs = peers.Select(p => p.Migration.Cidr).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        if (isolation.Contains(NetworkIsolation.NetworkPolicy))
        {
            if (cluster.Migration.Network is null)
            {
                yield return ("networkpolicy-migration.yaml",
                    Policy(plan, "migration", "networking.k8s.io/v1", "NetworkPolicy", Handler, peerCidrs, port: null, egressAnywhere: false, policyFor: null));
            }

            yield return ("networkpolicy-synchronization.yaml",
                Policy(plan, "synchronization", "networking.k8s.io/v1", "NetworkPolicy", SynchronizationController, peerCidrs, ManifestRenderer.SynchronizationPort, egressAnywhere: true, policyFor: null));
        }

        if (isolation.Contains(NetworkIsolation.MultiNetworkPolicy) && cluster.Migration.Network is { } attachment)
        {
            // In-cluster migrations cross the same attachment, so the cluster's own range stays open too.
            var cidrs = peerCidrs.Append(cluster.Migration.Cidr).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
            yield return ("multinetworkpolicy-migration.yaml",
                Policy(plan, "migration", "k8s.cni.cncf.io/v1beta1", "MultiNetworkPolicy", Handler, cidrs, port: null, egressAnywhere: false,
                    policyFor: $"{Conventions.KubeVirtNamespace}/{attachment}"));
        }
    }

    private static ScriptObject Policy(string plan, string purpose, string apiVersion, string kind, string component, IReadOnlyList<string> cidrs, int? port, bool egressAnywhere, string? policyFor)
    {
        var peers = new ScriptArray();
        foreach (var cidr in cidrs)
        {
            peers.Add(cidr);
        }

        return new ScriptObject
        {
            ["api_version"] = apiVersion,
            ["kind"] = kind,
            ["name"] = KubernetesName.Of("reconcile", plan, purpose),
            ["namespace"] = Conventions.KubeVirtNamespace,
            ["labels"] = ManifestRenderer.Pairs(Conventions.OwnedLabels(plan)),
            ["policy_for"] = policyFor,
            ["component"] = component,
            ["peers"] = peers,
            ["port"] = port,
            ["egress_anywhere"] = egressAnywhere,
        };
    }
}
