using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>
/// RC3022 (seed S3): storage declared shared with a cluster that a move crosses to. Across clusters
/// KubeVirt copies every disk into volumes of the receiver (decentralized migration marks all DV/PVC
/// volumes as migrated; a cold move imports through an export), so a stretched backend saves no
/// bytes, and a receiver mounting the very same volume would have the migration mirror the disk onto
/// itself. The plan must not count on it.
/// </summary>
public sealed class SharedStorageRule : IPlanRule
{
    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        var reported = new HashSet<(StorageClass, string)>();
        foreach (var move in scope.Plan.Moves.Where(m => !m.IsInCluster || m.Via is not null))
        {
            foreach (var (from, to) in move.Hops.Where(h => h.From != h.To))
            {
                var source = scope.Cluster(from);
                var classes = scope.VmsOf(move).SelectMany(vm => vm.Volumes).Select(v => v.StorageClass).OfType<string>().Distinct()
                    .Select(name => source?.FindStorageClass(name)).OfType<StorageClass>();
                foreach (var storageClass in classes.Where(c => c.SharedWith.Contains(to) && reported.Add((c, to))))
                {
                    diagnostics.Write(DiagnosticCatalog.StorageSharedAcrossClusters.At(storageClass.Source.At("sharedWith", storageClass.SharedWith.IndexOf(to)),
                        $"storage class {storageClass.Name} on {from} is declared shared with {to}, which move '{move.Name}' crosses to; KubeVirt copies every disk into the receiver's own volumes there, so shared storage saves nothing across clusters"));
                }
            }
        }
    }
}
