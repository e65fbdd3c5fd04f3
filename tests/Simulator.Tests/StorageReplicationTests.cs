using System.Text.Json.Nodes;
using Reconcile.Simulator.Api;
using Reconcile.Simulator.Storage;

namespace Reconcile.Simulator.Tests;

/// <summary>csi-addons VolumeReplication as the simulator serves it where the topology declares replication (fra-2's ceph-rbd into sgp-1).</summary>
public sealed class StorageReplicationTests
{
    private static JsonObject Replication(string state, string claim = "db-0-root", bool patch = false) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = claim },
        ["spec"] = patch
            ? new JsonObject { ["replicationState"] = state }
            : new JsonObject { ["volumeReplicationClass"] = "rbd-mirror-5m", ["replicationState"] = state, ["dataSource"] = new JsonObject { ["kind"] = "PersistentVolumeClaim", ["name"] = claim } },
    };

    private static string? State(FrozenWorld w, string cluster) =>
        w.Store(cluster).Get(StorageReplication.VolumeReplication, "payments", "db-0-root")?["status"]?["state"]?.GetValue<string>();

    private static JsonObject? Completed(FrozenWorld w, string cluster) =>
        w.Store(cluster).Get(StorageReplication.VolumeReplication, "payments", "db-0-root")?["status"]?["conditions"]?[0]?.AsObject();

    private static void SetState(FrozenWorld w, string cluster, string state)
    {
        var live = w.Store(cluster).Get(StorageReplication.VolumeReplication, "payments", "db-0-root")!;
        live["spec"]!["replicationState"] = state;
        w.Store(cluster).Update(StorageReplication.VolumeReplication, "payments", "db-0-root", live, "test");
    }

    [Fact]
    public void Replicas_sync_demote_only_when_unused_and_promote_only_after_the_demote()
    {
        // db-0 as it is on fra-2 after the hop into the staging cluster: its claim there, and its VMI using it.
        var w = new FrozenWorld("fra-to-sgp", FrozenWorld.WithoutIsolation);
        w.Namespace("fra-2", "payments");
        var claim = w.Store("fra-1").Get(ResourceRegistry.PersistentVolumeClaim, "payments", "db-0-root")!;
        var copy = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "db-0-root" }, ["spec"] = claim["spec"]!.DeepClone() };
        var created = w.Store("fra-2").Create(ResourceRegistry.PersistentVolumeClaim, "payments", copy, "test");
        created["status"] = new JsonObject { ["phase"] = "Bound" };
        w.Store("fra-2").Update(ResourceRegistry.PersistentVolumeClaim, "payments", "db-0-root", created, "test", statusOnly: true);
        Reconcile.Simulator.World.SimulatedWorld.CreateVmi(w.Store("fra-2"), "payments", "db-0", [],
            new JsonObject { ["domain"] = new JsonObject(), ["volumes"] = new JsonArray(new JsonObject { ["name"] = "root", ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = "db-0-root" } }) }, "fra-2-w1", agent: true, migrationState: null);
        Assert.NotNull(w.Store("sgp-1").Registry.Find(StorageReplication.VolumeReplication.GroupVersion, StorageReplication.VolumeReplication.Plural));
        Assert.Null(w.Store("fra-1").Registry.Find(StorageReplication.VolumeReplication.GroupVersion, StorageReplication.VolumeReplication.Plural));

        w.Namespace("sgp-1", "payments");
        w.Store("fra-2").Create(StorageReplication.VolumeReplication, "payments", Replication("primary"), "test");
        w.Store("sgp-1").Create(StorageReplication.VolumeReplication, "payments", Replication("secondary"), "test");
        w.Run(TimeSpan.FromSeconds(2));
        Assert.Equal(("Primary", "Secondary"), (State(w, "fra-2"), State(w, "sgp-1")));
        Assert.Equal("Bound", w.Store("sgp-1").Get(ResourceRegistry.PersistentVolumeClaim, "payments", "db-0-root")!["status"]!["phase"]!.GetValue<string>());
        Assert.Null(w.Store("fra-2").Get(StorageReplication.VolumeReplication, "payments", "db-0-root")!["status"]!["lastSyncTime"]);

        // The first sync: the whole disk over the 10 Gbit/s fra-2~sgp-1 link.
        var size = (double)Reconcile.Compiler.Model.Quantities.Bytes(w.Store("fra-2").Get(ResourceRegistry.PersistentVolumeClaim, "payments", "db-0-root")!["spec"]!["resources"]!["requests"]!["storage"]!.ToString())!;
        w.Run(TimeSpan.FromSeconds(Math.Ceiling(size / (10e9 / 8)) + 2), TimeSpan.FromSeconds(5));
        Assert.NotNull(w.Store("fra-2").Get(StorageReplication.VolumeReplication, "payments", "db-0-root")!["status"]!["lastSyncTime"]);

        // Promoting the target while the source is primary would make two primaries: refused.
        SetState(w, "sgp-1", "primary");
        w.Run(TimeSpan.FromSeconds(10));
        Assert.Equal(("Secondary", "FailedToPromote"), (State(w, "sgp-1"), Completed(w, "sgp-1")!["reason"]!.GetValue<string>()));

        // Demoting the source while the VM runs on it: refused; once it stopped, the last writes cross.
        SetState(w, "fra-2", "secondary");
        w.Run(TimeSpan.FromSeconds(10));
        Assert.Equal(("Primary", "FailedToDemote"), (State(w, "fra-2"), Completed(w, "fra-2")!["reason"]!.GetValue<string>()));
        w.Store("fra-2").Delete(ResourceRegistry.VirtualMachineInstance, "payments", "db-0");
        w.Run(TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(5));
        Assert.Equal(("Secondary", "Primary"), (State(w, "fra-2"), State(w, "sgp-1")));
    }
}
