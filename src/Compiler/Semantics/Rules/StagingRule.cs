using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>
/// A staged move across clusters (S28) replicates every disk ahead and cuts over cold; only storage
/// replication sends the last changes alone (KubeVirt's decentralized migration and CDI's imports copy
/// whole disks), so every disk's class on the cut-over source must declare replication into the target
/// (RC3027).
/// </summary>
public sealed class StagingRule : IPlanRule
{
    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        foreach (var move in scope.Plan.Moves.Where(m => scope.ModeOf(m) == MoveMode.Staged && !scope.LandsLive(m)))
        {
            var (from, to) = Planning.MigrationEstimator.CutoverHop(move);
            if (scope.Cluster(from) is not { } source)
            {
                continue;
            }

            var missing = scope.VmsOf(move).SelectMany(vm => vm.Volumes)
                .Select(v => v.StorageClass ?? "(no class)").Distinct()
                .Where(name => source.FindStorageClass(name)?.ReplicationTo(to) is null)
                .Order(StringComparer.Ordinal).ToList();
            if (missing.Count > 0)
            {
                var at = move.Mode is not null ? move.Source.At("mode") : scope.Plan.Strategy.Source.At("mode");
                diagnostics.Write(DiagnosticCatalog.StagedWithoutReplication.At(at,
                    $"move '{move.Name}' is staged, but storage class{(missing.Count == 1 ? "" : "es")} {string.Join(", ", missing)} on {from} declare{(missing.Count == 1 ? "s" : "")} no replication into {to}"));
            }
        }
    }
}
