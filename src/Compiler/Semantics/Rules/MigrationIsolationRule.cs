using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>
/// What the rendered network policies need (seed S8, S13), for every cluster that exchanges live
/// migrations with another: the migration CIDR where a policy must admit it (RC3009), a Multus
/// attachment for a MultiNetworkPolicy (RC3024), what a NetworkPolicy cannot reach (RC3025), and
/// the port range older topologies declare, which KubeVirt does not use (RC3023).
/// </summary>
public sealed class MigrationIsolationRule : IPlanRule
{
    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        if (scope.Topology is null)
        {
            return;
        }

        foreach (var (name, peerNames) in scope.LivePeers())
        {
            if (scope.Cluster(name) is not { } cluster)
            {
                continue;
            }

            var migration = cluster.Migration;
            var peers = peerNames.Select(scope.Cluster).OfType<Cluster>().ToList();
            if (migration.Ports is not null)
            {
                diagnostics.Write(DiagnosticCatalog.MigrationPortsIgnored.At(cluster.Source.Child("migration").At("ports"),
                    $"cluster {name} declares migration.ports {migration.Ports}, but KubeVirt's migration proxies do not listen on fixed ports"));
            }

            // Its CIDR is admitted by every isolating peer, and by its own MultiNetworkPolicy (in-cluster migrations share the attachment).
            var admittedBy = peers.Where(p => !p.Migration.IsolatedBy.IsEmpty).Select(p => p.Name).ToList();
            if (migration.IsolatedBy.Contains(NetworkIsolation.MultiNetworkPolicy))
            {
                admittedBy.Insert(0, name);
            }

            if (migration.Cidr is null && admittedBy.Count > 0)
            {
                diagnostics.Write(DiagnosticCatalog.MigrationNetworkMissing.At(cluster.Source.At("migration"),
                    $"cluster {name} has no migration.cidr, which the migration policies of {string.Join(", ", admittedBy)} must admit"));
            }

            if (migration.IsolatedBy.Contains(NetworkIsolation.MultiNetworkPolicy) && migration.Network is null)
            {
                diagnostics.Write(DiagnosticCatalog.MultiNetworkPolicyWithoutAttachment.At(cluster.Source.Child("migration").At("isolatedBy"),
                    $"cluster {name} is isolated by MultiNetworkPolicy but migrates over the pod network (no migration.network)"));
            }
            else if (migration.IsolatedBy.Contains(NetworkIsolation.NetworkPolicy) && !migration.IsolatedBy.Contains(NetworkIsolation.MultiNetworkPolicy) && migration.Network is { } attachment)
            {
                diagnostics.Write(DiagnosticCatalog.NetworkPolicyMissesAttachment.At(cluster.Source.Child("migration").At("isolatedBy"),
                    $"cluster {name} migrates over the Multus attachment {attachment}, which its NetworkPolicies do not filter: Reconcile opens only the synchronization controller there"));
            }
        }
    }
}
