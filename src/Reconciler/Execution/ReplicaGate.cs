using System.Text.Json.Nodes;
using Reconcile.Compiler.Planning;
using Reconcile.Reconciler.Clusters;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// The order a staged cut-over over storage replicas must keep (S28), read from the csi-addons
/// VolumeReplication status (replication.storage.openshift.io/v1alpha1, status.state Primary or
/// Secondary): the source replicas are demoted only once the VM is stopped (a demote sends the last
/// changes), the target replicas promoted only once every source replica is Secondary (two primaries
/// would diverge), and the VM started only once every target replica is Primary.
/// </summary>
internal sealed class ReplicaGate(IReadOnlyDictionary<string, IClusterGateway> clusters)
{
    public const string Kind = "VolumeReplication";
    public const string ApiVersion = "replication.storage.openshift.io/v1alpha1";

    public async Task<bool> MayApplyAsync(GraphStep step, string cluster, JsonObject obj, IReadOnlyList<(string Cluster, List<JsonObject> Objects)> objects,
        (string Namespace, string Name) sourceVm, CancellationToken cancel)
    {
        var source = step.From!.Cluster;
        if (obj["kind"]?.GetValue<string>() == Kind && State(obj) == "secondary" && cluster == source)
        {
            return await clusters[source].GetAsync("kubevirt.io/v1", "VirtualMachineInstance", sourceVm.Namespace, sourceVm.Name, cancel) is null;
        }

        if (obj["kind"]?.GetValue<string>() == Kind && State(obj) == "primary" && cluster != source)
        {
            return await AllAsync(source, Replications(objects, source), "Secondary", cancel);
        }

        if (obj["kind"]?.GetValue<string>() == "VirtualMachine" && cluster != source)
        {
            return await AllAsync(cluster, Replications(objects, cluster), "Primary", cancel);
        }

        return true;
    }

    /// <summary>Whether every replication reports <paramref name="state"/> (and, with <paramref name="synced"/>, has synced once: status.lastSyncTime).</summary>
    public async Task<bool> AllAsync(string cluster, IEnumerable<JsonObject> replications, string state, CancellationToken cancel, bool synced = false)
    {
        foreach (var replication in replications)
        {
            var live = await clusters[cluster].GetAsync(ApiVersion, Kind, replication["metadata"]!["namespace"]!.GetValue<string>(), replication["metadata"]!["name"]!.GetValue<string>(), cancel);
            if (live?["status"]?["state"]?.GetValue<string>() != state || synced && live["status"]?["lastSyncTime"] is null)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether a replication failed for good: its Completed condition is False with a reason that is not a wait.</summary>
    public async Task<string?> FailureAsync(string cluster, IEnumerable<JsonObject> replications, CancellationToken cancel)
    {
        foreach (var replication in replications)
        {
            var live = await clusters[cluster].GetAsync(ApiVersion, Kind, replication["metadata"]!["namespace"]!.GetValue<string>(), replication["metadata"]!["name"]!.GetValue<string>(), cancel);
            var completed = (live?["status"]?["conditions"]?.AsArray() ?? []).FirstOrDefault(c => c?["type"]?.GetValue<string>() == "Completed");
            if (completed?["status"]?.GetValue<string>() == "False" && completed["reason"]?.GetValue<string>() is "FailedToPromote" or "FailedToDemote" or "Error")
            {
                return $"VolumeReplication {replication["metadata"]!["name"]} on {cluster}: {completed["message"]?.GetValue<string>() ?? completed["reason"]!.GetValue<string>()}";
            }
        }

        return null;
    }

    public static IEnumerable<JsonObject> Replications(IEnumerable<(string Cluster, List<JsonObject> Objects)> objects, string cluster) =>
        objects.Where(o => o.Cluster == cluster).SelectMany(o => o.Objects).Where(o => o["kind"]?.GetValue<string>() == Kind);

    private static string? State(JsonObject obj) => obj["spec"]?["replicationState"]?.GetValue<string>();

}
