using Reconcile.Reconciler.Clusters;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// Reads csi-addons VolumeReplication status (replication.storage.openshift.io/v1alpha1, status.state
/// Primary or Secondary) for the order a staged cut-over must keep (S28): the source replicas are
/// demoted only once the VM is stopped (a demote sends the last changes), the target replicas promoted
/// only once every source replica is Secondary (two primaries would diverge), and the VM started only
/// once every target replica is Primary.
/// </summary>
internal sealed class ReplicaGate(IReadOnlyDictionary<string, IClusterGateway> clusters)
{
    /// <summary>Whether every replication reports <paramref name="state"/> (and, with <paramref name="synced"/>, has synced once: status.lastSyncTime).</summary>
    public async Task<bool> AllAsync(IEnumerable<PlacedObject> replications, string state, CancellationToken cancel, bool synced = false)
    {
        foreach (var replication in replications)
        {
            var live = await clusters[replication.Cluster].GetAsync(replication.ApiVersion, replication.Kind, replication.Namespace, replication.Name, cancel);
            if (live?["status"]?["state"]?.GetValue<string>() != state || synced && live["status"]?["lastSyncTime"] is null)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Why a replication failed for good: its Completed condition is False with a reason that is not a wait; null while none has.</summary>
    public async Task<string?> FailureAsync(IEnumerable<PlacedObject> replications, CancellationToken cancel)
    {
        foreach (var replication in replications)
        {
            var live = await clusters[replication.Cluster].GetAsync(replication.ApiVersion, replication.Kind, replication.Namespace, replication.Name, cancel);
            var completed = (live?["status"]?["conditions"]?.AsArray() ?? []).FirstOrDefault(c => c?["type"]?.GetValue<string>() == "Completed");
            if (completed?["status"]?.GetValue<string>() == "False" && completed["reason"]?.GetValue<string>() is "FailedToPromote" or "FailedToDemote" or "Error")
            {
                return $"VolumeReplication {replication.Name} on {replication.Cluster}: {completed["message"]?.GetValue<string>() ?? completed["reason"]!.GetValue<string>()}";
            }
        }

        return null;
    }
}
