using System.Text.Json.Nodes;
using Reconcile.Simulator.Api;
using Reconcile.Simulator.World;

namespace Reconcile.Simulator.Storage;

/// <summary>
/// Asynchronous storage replication as a csi-addons driver with snapshot-based mirroring (Ceph RBD) serves
/// VolumeReplication (replication.storage.openshift.io/v1alpha1), on clusters whose topology declares a
/// storage class replicating into another. A primary enables mirroring of its claim: status.state Primary at
/// once, status.lastSyncTime once the whole disk has crossed the link, then a sync every interval (the RPO).
/// A secondary on the peer cluster stands for the replica, which the storage presents as a claim of the
/// same name (the DR tooling's part). Demoting a primary refuses while a VMI uses the claim, then sends
/// what was written since the last sync; promoting a secondary refuses while the other side is Primary.
/// The guest writes to the claim at the Inventory's writeRate for its volume.
/// </summary>
public sealed class StorageReplication(SimulatedWorld world)
{
    public static readonly ResourceKind VolumeReplication = new("replication.storage.openshift.io", "v1alpha1", "VolumeReplication", "volumereplications", true, true);

    private const double PromoteSeconds = 5;
    private static readonly TimeSpan UndeclaredInterval = TimeSpan.FromMinutes(5);
    private const string Manager = "csi-addons";

    /// <summary>Serves VolumeReplication on clusters that replicate or receive replicas.</summary>
    public static void Serve(SimulatedWorld world)
    {
        var involved = world.Topology.Clusters.SelectMany(c => c.StorageClasses.SelectMany(s => s.Replication.Select(r => r.To)).Append(c.StorageClasses.Any(s => !s.Replication.IsEmpty) ? c.Name : null))
            .OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var cluster in world.Clusters.Values.Where(c => involved.Contains(c.Name)))
        {
            cluster.Store.Registry.Add(VolumeReplication);
        }
    }

    private sealed class Progress
    {
        public DateTime? SyncedUntil { get; set; }

        public DateTime? TransitionStarted { get; set; }

        public string? Target { get; set; }
    }

    private readonly Dictionary<string, Progress> progress = new(StringComparer.Ordinal);

    public void Tick(DateTime now)
    {
        foreach (var cluster in world.Clusters.Values.Where(c => c.Store.Registry.Find(VolumeReplication.GroupVersion, VolumeReplication.Plural) is not null))
        {
            foreach (var replication in cluster.Store.List(VolumeReplication, null).Items)
            {
                Reconcile(cluster, replication, now);
            }
        }
    }

    private void Reconcile(SimulatedCluster cluster, JsonObject replication, DateTime now)
    {
        var ns = replication["metadata"]!["namespace"]!.GetValue<string>();
        var name = replication["metadata"]!["name"]!.GetValue<string>();
        var claim = replication["spec"]?["dataSource"]?["name"]?.GetValue<string>() ?? name;
        var wanted = replication["spec"]?["replicationState"]?.GetValue<string>();
        var state = replication["status"]?["state"]?.GetValue<string>();
        var key = $"{cluster.Name}/{ns}/{name}";
        var p = progress.TryGetValue(key, out var known) ? known : progress[key] = new Progress();
        var status = (JsonObject?)replication["status"]?.DeepClone() ?? [];
        var peer = Peer(cluster, name);

        if (wanted == "primary" && state is null)
        {
            // Mirroring enabled: the whole disk crosses the link before the first sync completes.
            p.TransitionStarted = now;
            Set(status, "Primary", "Promoted", "is promoted to primary and replicating to secondary", now);
        }
        else if (wanted == "primary" && state == "Primary")
        {
            var seconds = Size(cluster, ns, claim) / Bandwidth(cluster, peer);
            if (p.SyncedUntil is null && p.TransitionStarted is { } started && (now - started).TotalSeconds >= seconds)
            {
                p.SyncedUntil = now;
                status["lastSyncTime"] = Compiler.Facts.Timestamps.Format(now);
            }
            else if (p.SyncedUntil is { } synced && p.TransitionStarted is null && Interval(cluster, ns, claim, peer) is var interval && now - synced >= interval)
            {
                // The scheduled snapshots: one per interval since the last (their deltas are small next to it).
                p.SyncedUntil = synced + interval * Math.Floor((now - synced) / interval);
                status["lastSyncTime"] = Compiler.Facts.Timestamps.Format(p.SyncedUntil.Value);
            }
        }
        else if (wanted == "primary" && state == "Secondary")
        {
            // Promote: only once no peer is primary any more (two primaries would diverge).
            if (peer is { } other && other.Replication["status"]?["state"]?.GetValue<string>() == "Primary")
            {
                SetFailed(status, "FailedToPromote", $"failed to promote: the image is still primary on {other.Cluster.Name}");
            }
            else
            {
                p.TransitionStarted ??= now;
                if ((now - p.TransitionStarted.Value).TotalSeconds >= PromoteSeconds)
                {
                    p.TransitionStarted = null;
                    p.SyncedUntil = now;
                    Set(status, "Primary", "Promoted", "is promoted to primary and replicating to secondary", now);
                }
            }
        }
        else if (wanted == "secondary" && state is null)
        {
            // The replica side: the storage presents the replica as a claim of the same name.
            EnsureReplicaClaim(cluster, ns, claim, peer);
            Set(status, "Secondary", "Demoted", "is demoted to secondary", now);
        }
        else if (wanted == "secondary" && state == "Primary")
        {
            // Demote: refused while a VMI uses the claim; then the changes since the last sync cross.
            if (InUse(cluster, ns, claim))
            {
                SetFailed(status, "FailedToDemote", "failed to demote: the volume is in use");
            }
            else
            {
                p.TransitionStarted ??= now;
                var since = (p.TransitionStarted.Value - (p.SyncedUntil ?? p.TransitionStarted.Value)).TotalSeconds;
                var seconds = Math.Min(Size(cluster, ns, claim), since * world.WriteBytesPerSecond(ns, claim)) / Bandwidth(cluster, peer);
                if ((now - p.TransitionStarted.Value).TotalSeconds >= seconds)
                {
                    p.TransitionStarted = null;
                    Set(status, "Secondary", "Demoted", "is demoted to secondary", now);
                    status["lastSyncTime"] = Compiler.Facts.Timestamps.Format(now);
                }
            }
        }

        if (!JsonNode.DeepEquals(replication["status"], status))
        {
            replication["status"] = status;
            cluster.Store.Update(VolumeReplication, ns, name, replication, Manager, statusOnly: true);
        }
    }

    private static void Set(JsonObject status, string state, string reason, string message, DateTime now)
    {
        status["state"] = state;
        status["message"] = message;
        status["conditions"] = new JsonArray(new JsonObject { ["type"] = "Completed", ["status"] = "True", ["reason"] = reason, ["message"] = message, ["lastTransitionTime"] = Compiler.Facts.Timestamps.Format(now) });
    }

    private static void SetFailed(JsonObject status, string reason, string message) =>
        status["conditions"] = new JsonArray(new JsonObject { ["type"] = "Completed", ["status"] = "False", ["reason"] = reason, ["message"] = message });

    private sealed record PeerReplication(SimulatedCluster Cluster, JsonObject Replication);

    /// <summary>The VolumeReplication of the same name in another cluster (its namespace may differ).</summary>
    private PeerReplication? Peer(SimulatedCluster cluster, string name) =>
        world.Clusters.Values.Where(c => c.Name != cluster.Name && c.Store.Registry.Find(VolumeReplication.GroupVersion, VolumeReplication.Plural) is not null)
            .SelectMany(c => c.Store.List(VolumeReplication, null).Items.Where(r => r["metadata"]!["name"]!.GetValue<string>() == name).Select(r => new PeerReplication(c, r)))
            .FirstOrDefault();

    /// <summary>The replication's scheduling interval: the RPO the topology gives the claim's storage class towards the peer.</summary>
    private static TimeSpan Interval(SimulatedCluster cluster, string ns, string claim, PeerReplication? peer)
    {
        var storageClass = cluster.Store.Get(ResourceRegistry.PersistentVolumeClaim, ns, claim)?["spec"]?["storageClassName"]?.GetValue<string>();
        return storageClass is not null && peer is not null && cluster.Model.FindStorageClass(storageClass)?.ReplicationTo(peer.Cluster.Name) is { } replication && replication.Rpo > TimeSpan.Zero
            ? replication.Rpo
            : UndeclaredInterval;
    }

    private static double Size(SimulatedCluster cluster, string ns, string claim) =>
        Compiler.Model.Quantities.Bytes(cluster.Store.Get(ResourceRegistry.PersistentVolumeClaim, ns, claim)?["spec"]?["resources"]?["requests"]?["storage"]?.ToString() ?? "0") ?? 0;

    private double Bandwidth(SimulatedCluster cluster, PeerReplication? peer)
    {
        var bits = peer is null ? cluster.Model.Migration.BandwidthBitsPerSecond : world.Topology.FindLink(cluster.Name, peer.Cluster.Name)?.BandwidthBitsPerSecond ?? cluster.Model.Migration.BandwidthBitsPerSecond;
        return Math.Max(1.0, bits / 8.0);
    }

    private static bool InUse(SimulatedCluster cluster, string ns, string claim) =>
        cluster.Store.List(ResourceRegistry.VirtualMachineInstance, ns).Items.Any(v =>
            (v["spec"]?["volumes"]?.AsArray() ?? []).Any(vol => vol?["persistentVolumeClaim"]?["claimName"]?.GetValue<string>() == claim || vol?["dataVolume"]?["name"]?.GetValue<string>() == claim));

    private static void EnsureReplicaClaim(SimulatedCluster cluster, string ns, string claim, PeerReplication? peer)
    {
        if (cluster.Store.Get(ResourceRegistry.PersistentVolumeClaim, ns, claim) is not null)
        {
            return;
        }

        var source = peer?.Cluster.Store.Get(ResourceRegistry.PersistentVolumeClaim, peer.Replication["metadata"]!["namespace"]!.GetValue<string>(), claim);
        if (cluster.Store.Get(ResourceRegistry.Namespace, "", ns) is null)
        {
            cluster.Store.Create(ResourceRegistry.Namespace, "", new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } }, Manager);
        }

        var created = cluster.Store.Create(ResourceRegistry.PersistentVolumeClaim, ns, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = claim },
            ["spec"] = source?["spec"]?.DeepClone() ?? new JsonObject { ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "0" } } },
        }, Manager);
        created["status"] = new JsonObject { ["phase"] = "Bound" };
        cluster.Store.Update(ResourceRegistry.PersistentVolumeClaim, ns, claim, created, Manager, statusOnly: true);
    }
}
