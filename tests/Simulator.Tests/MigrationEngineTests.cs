using System.Text.Json.Nodes;
using Reconcile.Compiler.Planning;
using Reconcile.Simulator.Api;
using Reconcile.Simulator.World;

namespace Reconcile.Simulator.Tests;

/// <summary>KubeVirt's migration behaviour in simulated time, driven step by step (the clock moves only when told).</summary>
public sealed class MigrationEngineTests
{
    private const long MiB = 1L << 20;
    private const long GiB = 1L << 30;
    private static readonly JsonObject Grafana = new() { ["app"] = "grafana" };

    private static FrozenWorld DrainWorld() => new("node-drain");

    private static string[] Phases(FrozenWorld w, string cluster, string ns, string vmim) =>
        [.. w.Store(cluster).Get(ResourceRegistry.Migration, ns, vmim)!["status"]!["phaseTransitionTimestamps"]!.AsArray().Select(p => p!["phase"]!.GetValue<string>())];

    private static double RunningSeconds(FrozenWorld w, string cluster, string ns, string vmim)
    {
        var state = w.Store(cluster).Get(ResourceRegistry.Migration, ns, vmim)!["status"]!["migrationState"]!;
        return (DateTime.Parse(state["endTimestamp"]!.GetValue<string>(), null, System.Globalization.DateTimeStyles.AdjustToUniversal) -
                DateTime.Parse(state["startTimestamp"]!.GetValue<string>(), null, System.Globalization.DateTimeStyles.AdjustToUniversal)).TotalSeconds;
    }

    [Fact]
    public void An_in_cluster_migration_walks_the_phases_and_takes_as_long_as_the_pre_copy_model_says()
    {
        var w = DrainWorld();
        w.Policy("ber-1", "grafana", Grafana, new JsonObject { ["bandwidthPerMigration"] = "512Mi", ["completionTimeoutPerGiB"] = 800 });
        var source = w.Store("ber-1").Get(ResourceRegistry.VirtualMachineInstance, "monitoring", "grafana-0")!["status"]!["nodeName"]!.GetValue<string>();
        w.Migrate("ber-1", "monitoring", "move-grafana", "grafana-0");

        Assert.Equal("Succeeded", w.RunUntilFinal("ber-1", "monitoring", "move-grafana", TimeSpan.FromMinutes(10)));
        Assert.Equal(["Pending", "Scheduling", "Scheduled", "PreparingTarget", "TargetReady", "Running", "Succeeded"], Phases(w, "ber-1", "monitoring", "move-grafana"));

        // grafana-0: 4 GiB, dirtying 5 MiB/s, at 512 MiB/s: the compiler's model, with ±10% dirty-rate noise and 1 s steps.
        var predicted = PreCopyModel.Simulate(new MigrationInputs(4.0 * GiB, 5.0 * MiB, 512.0 * MiB, 0.3)).Seconds;
        Assert.InRange(RunningSeconds(w, "ber-1", "monitoring", "move-grafana"), predicted - 1, predicted + 2);

        var vmi = w.Store("ber-1").Get(ResourceRegistry.VirtualMachineInstance, "monitoring", "grafana-0")!;
        var state = vmi["status"]!["migrationState"]!;
        Assert.NotEqual(source, vmi["status"]!["nodeName"]!.GetValue<string>());
        Assert.Equal(vmi["status"]!["nodeName"]!.GetValue<string>(), state["targetNode"]!.GetValue<string>());
        Assert.Equal((source, true, "grafana"), (state["sourceNode"]!.GetValue<string>(), state["completed"]!.GetValue<bool>(), state["migrationPolicyName"]!.GetValue<string>()));
    }

    [Fact]
    public void The_create_webhook_refuses_what_KubeVirt_refuses()
    {
        var w = DrainWorld();
        var missing = Assert.Throws<ApiError>(() => w.Store("ber-1").Create(ResourceRegistry.Migration, "monitoring",
            new JsonObject { ["metadata"] = new JsonObject { ["name"] = "x" }, ["spec"] = new JsonObject() }, "test"));
        Assert.Equal((422, "Invalid"), (missing.Code, missing.Reason));
        Assert.Contains("vmiName is missing", missing.Message);
        Assert.Contains("only virt-controller is allowed to set priority",
            Assert.Throws<ApiError>(() => w.Migrate("ber-1", "monitoring", "p", "grafana-0", new JsonObject { ["priority"] = "system-critical" })).Message);
        Assert.Contains("does not exist", Assert.Throws<ApiError>(() => w.Migrate("ber-1", "monitoring", "ghost", "no-such-vmi")).Message);

        w.Migrate("ber-1", "monitoring", "first", "grafana-0");
        w.Engine.Tick();
        Assert.Contains("in-flight migration detected", Assert.Throws<ApiError>(() => w.Migrate("ber-1", "monitoring", "second", "grafana-0")).Message);
    }

    [Theory]
    [InlineData("v1.6.2", "", "unknown field \"spec.priority\"", "unknown field \"spec.maxDowntimeMs\"", false)]
    [InlineData("v1.8.4", "", "only virt-controller is allowed to set priority", "unknown field \"spec.maxDowntimeMs\"", false)]
    [InlineData("v1.9.0", "", "only virt-controller is allowed to set priority", "without enabling the MigrationStallDetection feature gate", true)]
    [InlineData("v1.9.0", ", MigrationStallDetection", "only virt-controller is allowed to set priority", null, true)]
    public void Each_release_serves_and_admits_what_it_has(string release, string gates, string priority, string? downtime, bool exportV1)
    {
        var w = new FrozenWorld("fra-to-sgp", text => FrozenWorld.WithoutIsolation(text).Replace("version: v1.6.2, featureGates: [DecentralizedLiveMigration]", $"version: {release}, featureGates: [DecentralizedLiveMigration{gates}]", StringComparison.Ordinal));
        Assert.Contains(priority, Assert.Throws<ApiError>(() => w.Migrate("fra-1", "payments", "p", "app-0", new JsonObject { ["priority"] = "user-triggered" })).Message);

        var policy = () => w.Policy("fra-1", "short", new JsonObject { ["tier"] = "app" }, new JsonObject { ["maxDowntimeMs"] = 100 });
        if (downtime is null)
        {
            policy();
        }
        else
        {
            Assert.Contains(downtime, Assert.Throws<ApiError>(policy).Message);
        }

        var registry = w.Store("fra-1").Registry;
        Assert.NotNull(registry.Find("export.kubevirt.io/v1beta1", "virtualmachineexports"));
        Assert.Equal(exportV1, registry.Find("export.kubevirt.io/v1", "virtualmachineexports") is not null);
    }

    [Fact]
    public void Parallel_outbound_migrations_per_node_are_admitted_as_KubeVirt_admits_them()
    {
        // ber-1 allows 2 outbound migrations per node; runner-0, runner-1 and desktop-0/1 all sit on ber-1-w5.
        var w = DrainWorld();
        var onW5 = w.Store("ber-1").List(ResourceRegistry.VirtualMachineInstance, null).Items
            .Where(v => v["status"]!["nodeName"]!.GetValue<string>() == "ber-1-w5").Take(3)
            .Select(v => (Ns: v["metadata"]!["namespace"]!.GetValue<string>(), Name: v["metadata"]!["name"]!.GetValue<string>())).ToList();
        Assert.Equal(3, onW5.Count);
        foreach (var (ns, name) in onW5)
        {
            w.Migrate("ber-1", ns, "m-" + name, name);
        }

        var most = 0;
        for (var i = 0; i < 600 && onW5.Any(v => w.Phase("ber-1", v.Ns, "m-" + v.Name) is not "Succeeded"); i++)
        {
            w.Run(TimeSpan.FromSeconds(1));
            most = Math.Max(most, onW5.Count(v => w.Phase("ber-1", v.Ns, "m-" + v.Name) is "Scheduling" or "Scheduled" or "PreparingTarget" or "TargetReady" or "Running"));
        }

        Assert.Equal(2, most);
        Assert.All(onW5, v => Assert.Equal("Succeeded", w.Phase("ber-1", v.Ns, "m-" + v.Name)));
    }

    [Fact]
    public void A_migration_past_completionTimeoutPerGiB_fails_unless_post_copy_may_finish_it()
    {
        // 4 GiB at 8 MiB/s is over 8 minutes; 10 s per GB, counted as KubeVirt does (4 GiB = 4.29 GB, rounded up to 5), allows 50 s.
        foreach (var postCopy in new[] { false, true })
        {
            var w = DrainWorld();
            w.Policy("ber-1", "slow", Grafana, new JsonObject { ["bandwidthPerMigration"] = "8Mi", ["completionTimeoutPerGiB"] = 10, ["allowPostCopy"] = postCopy });
            w.Migrate("ber-1", "monitoring", "m", "grafana-0");
            var final = w.RunUntilFinal("ber-1", "monitoring", "m", TimeSpan.FromHours(1));
            var state = w.Store("ber-1").Get(ResourceRegistry.Migration, "monitoring", "m")!["status"]!["migrationState"]!;
            if (postCopy)
            {
                Assert.Equal(("Succeeded", "PostCopy"), (final, state["mode"]!.GetValue<string>()));
            }
            else
            {
                Assert.Equal("Failed", final);
                Assert.Contains("not completed after 50 seconds", state["failureReason"]!.GetValue<string>());
            }
        }
    }

    [Fact]
    public void A_guest_dirtying_faster_than_it_is_sent_still_progresses_for_KubeVirt_and_meets_the_completion_timeout()
    {
        // grafana-0 dirties 5 MiB/s and gets 4 MiB/s: pre-copy never converges, but inside each round the data
        // remaining falls from one sample to the next, so KubeVirt's progress watch is content; its completion
        // timeout (completionTimeoutPerGiB × 1 GB) ends it.
        var w = DrainWorld();
        w.Policy("ber-1", "starved", Grafana, new JsonObject { ["bandwidthPerMigration"] = "4Mi", ["completionTimeoutPerGiB"] = 1200 });
        w.Migrate("ber-1", "monitoring", "m", "grafana-0");
        Assert.Equal("Failed", w.RunUntilFinal("ber-1", "monitoring", "m", TimeSpan.FromHours(3)));
        var reason = w.Store("ber-1").Get(ResourceRegistry.Migration, "monitoring", "m")!["status"]!["migrationState"]!["failureReason"]!.GetValue<string>();
        Assert.Contains("is not completed after", reason);
        Assert.DoesNotContain("stuck", reason);
    }

    [Fact]
    public void A_disk_written_faster_than_its_mirror_connection_makes_no_progress_and_fails_after_progressTimeout()
    {
        // One connection over 170 ms moves 4 MiB / 0.17 s, about 24.7 MB/s; the guest writes app-0's disk at 40 MiB/s.
        var w = new FrozenWorld("fra-to-sgp", text => FrozenWorld.WithoutIsolation(text).Replace(
            "claim: app-0-root, size: 40Gi, storageClass: ceph-rbd, accessMode: ReadWriteMany, reclaimPolicy: Retain}",
            "claim: app-0-root, size: 40Gi, storageClass: ceph-rbd, accessMode: ReadWriteMany, reclaimPolicy: Retain, writeRate: 40Mi}", StringComparison.Ordinal));
        w.TrustEachOther("fra-1", "sgp-1");
        w.Namespace("sgp-1", "payments");
        w.Receiver("sgp-1", "payments", "app-0");
        w.Migrate("sgp-1", "payments", "in", "app-0", new JsonObject { ["receive"] = new JsonObject { ["migrationID"] = "x" } });
        w.Migrate("fra-1", "payments", "out", "app-0", new JsonObject { ["sendTo"] = new JsonObject { ["migrationID"] = "x", ["connectURL"] = "virt-sync.sgp-1.example.net:9185" } });
        Assert.Equal("Failed", w.RunUntilFinal("fra-1", "payments", "out", TimeSpan.FromHours(1)));
        var state = w.Store("fra-1").Get(ResourceRegistry.Migration, "payments", "out")!["status"]!["migrationState"]!;
        Assert.Contains("stuck for 150 sec", state["failureReason"]!.GetValue<string>());
        Assert.InRange(RunningSeconds(w, "fra-1", "payments", "out"), 150, 165);
    }

    [Fact]
    public void Auto_converge_throttles_a_dirty_guest_and_finishes_sooner()
    {
        var seconds = new List<double>();
        foreach (var autoConverge in new[] { false, true })
        {
            var w = DrainWorld();
            w.Policy("ber-1", "tight", Grafana, new JsonObject { ["bandwidthPerMigration"] = "6Mi", ["completionTimeoutPerGiB"] = 100000, ["allowAutoConverge"] = autoConverge });
            w.Migrate("ber-1", "monitoring", "m", "grafana-0");
            w.Engine.Tick();
            for (var i = 0; i < 2000 && w.Phase("ber-1", "monitoring", "m") is not ("Succeeded" or "Failed"); i++)
            {
                w.Run(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
            }

            Assert.True(w.Phase("ber-1", "monitoring", "m") == "Succeeded", w.Store("ber-1").Get(ResourceRegistry.Migration, "monitoring", "m")!.ToJsonString());
            seconds.Add(RunningSeconds(w, "ber-1", "monitoring", "m"));
        }

        Assert.True(seconds[1] < seconds[0] * 0.8, $"without auto-converge {seconds[0]} s, with {seconds[1]} s");
    }

    [Fact]
    public void Deleting_the_VMIM_mid_flight_aborts_and_the_VM_stays()
    {
        var w = DrainWorld();
        w.Policy("ber-1", "slow", Grafana, new JsonObject { ["bandwidthPerMigration"] = "64Mi" });
        var source = w.Store("ber-1").Get(ResourceRegistry.VirtualMachineInstance, "monitoring", "grafana-0")!["status"]!["nodeName"]!.GetValue<string>();
        w.Migrate("ber-1", "monitoring", "m", "grafana-0");
        w.Run(TimeSpan.FromSeconds(20));
        Assert.Equal("Running", w.Phase("ber-1", "monitoring", "m"));
        w.Store("ber-1").Delete(ResourceRegistry.Migration, "monitoring", "m");
        w.Run(TimeSpan.FromSeconds(2));

        var vmi = w.Store("ber-1").Get(ResourceRegistry.VirtualMachineInstance, "monitoring", "grafana-0")!;
        Assert.Equal(source, vmi["status"]!["nodeName"]!.GetValue<string>());
        Assert.Equal(("Succeeded", true), (vmi["status"]!["migrationState"]!["abortStatus"]!.GetValue<string>(), vmi["status"]!["migrationState"]!["failed"]!.GetValue<bool>()));
        Assert.Contains(w.Engine.Samples(), s => s.Metric == "kubevirt_vmi_migration_failed" && s.Value == 1);
    }

    [Fact]
    public void A_decentralized_pair_moves_the_VM_to_the_other_cluster()
    {
        var w = new FrozenWorld("fra-to-sgp", FrozenWorld.WithoutIsolation);
        w.Namespace("fra-2", "payments");
        w.TrustEachOther("fra-1", "fra-2");
        // The receiving side first, as Forklift does: a VM waiting as receiver (the source VM's template) and the target VMIM.
        var template = w.SourceTemplate("fra-2", "payments", "app-0");
        w.Store("fra-2").Create(ResourceRegistry.VirtualMachine, "payments", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "app-0", ["annotations"] = new JsonObject { ["kubevirt.io/restore-run-strategy"] = "Always" } },
            ["spec"] = new JsonObject { ["runStrategy"] = "WaitAsReceiver", ["template"] = template },
        }, "test");
        // KubeVirt admits the receiving VMIM only once the receiver's VMI exists.
        var early = Assert.Throws<ApiError>(() => w.Migrate("fra-2", "payments", "in", "app-0", new JsonObject { ["receive"] = new JsonObject { ["migrationID"] = "id-1" } }));
        Assert.Contains("the VMI \"payments/app-0\" does not exist", early.Message);
        w.Engine.Tick();
        w.Migrate("fra-2", "payments", "in", "app-0", new JsonObject { ["receive"] = new JsonObject { ["migrationID"] = "id-1" } });
        w.Engine.Tick();
        Assert.Equal("WaitingForSync", w.Phase("fra-2", "payments", "in"));
        Assert.Equal(["virt-sync.fra-2.example.net:9185"], w.Store("fra-2").Get(ResourceRegistry.Migration, "payments", "in")!["status"]!["synchronizationAddresses"]!.AsArray().Select(a => a!.GetValue<string>()));

        w.Migrate("fra-1", "payments", "out", "app-0", new JsonObject { ["sendTo"] = new JsonObject { ["migrationID"] = "id-1", ["connectURL"] = "virt-sync.fra-2.example.net:9185" } });
        Assert.Equal("Succeeded", w.RunUntilFinal("fra-1", "payments", "out", TimeSpan.FromMinutes(30)));
        Assert.Equal("Succeeded", w.Phase("fra-2", "payments", "in"));
        Assert.Equal(["Synchronizing", "Pending", "Scheduling", "Scheduled", "PreparingTarget", "TargetReady", "Running", "Succeeded"], Phases(w, "fra-1", "payments", "out"));

        Assert.Null(w.Store("fra-1").Get(ResourceRegistry.VirtualMachineInstance, "payments", "app-0"));
        Assert.Equal("Halted", w.Store("fra-1").Get(ResourceRegistry.VirtualMachine, "payments", "app-0")!["spec"]!["runStrategy"]!.GetValue<string>());
        var moved = w.Store("fra-2").Get(ResourceRegistry.VirtualMachineInstance, "payments", "app-0")!;
        Assert.StartsWith("fra-2-", moved["status"]!["nodeName"]!.GetValue<string>());
        Assert.True(moved["status"]!["migrationState"]!["completed"]!.GetValue<bool>());
        Assert.Equal("Always", w.Store("fra-2").Get(ResourceRegistry.VirtualMachine, "payments", "app-0")!["spec"]!["runStrategy"]!.GetValue<string>());
    }

    [Fact]
    public void A_decentralized_pair_between_clusters_that_do_not_trust_each_other_fails_the_handshake()
    {
        var w = new FrozenWorld("fra-to-sgp", FrozenWorld.WithoutIsolation);
        w.Namespace("fra-2", "payments");
        w.Receiver("fra-2", "payments", "app-0");
        w.Migrate("fra-2", "payments", "in", "app-0", new JsonObject { ["receive"] = new JsonObject { ["migrationID"] = "id-1" } });
        w.Migrate("fra-1", "payments", "out", "app-0", new JsonObject { ["sendTo"] = new JsonObject { ["migrationID"] = "id-1", ["connectURL"] = "virt-sync.fra-2.example.net:9185" } });
        Assert.Equal("Failed", w.RunUntilFinal("fra-1", "payments", "out", TimeSpan.FromMinutes(1)));
        Assert.Contains("certificate signed by unknown authority", w.Store("fra-1").Get(ResourceRegistry.Migration, "payments", "out")!["status"]!["migrationState"]!["failureReason"]!.GetValue<string>());

        // The exchange the reconciler makes: the peer's bundle in kubevirt-external-ca, which virt-operator merges and clears.
        w.Store("fra-2").Create(ResourceRegistry.ConfigMap, "kubevirt", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "kubevirt-external-ca" },
            ["data"] = new JsonObject { ["ca-bundle"] = SimulatedWorld.CaCertificate("fra-1") },
        }, "reconcile");
        w.Run(TimeSpan.FromSeconds(1));
        Assert.Contains(SimulatedWorld.CaCertificate("fra-1"), w.Store("fra-2").Get(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-ca")!["data"]!["ca-bundle"]!.GetValue<string>());
        Assert.Equal("", w.Store("fra-2").Get(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-external-ca")!["data"]!["ca-bundle"]!.GetValue<string>());
    }

    [Fact]
    public void Injected_migration_failures_and_lost_nodes_fail_migrations_for_those_reasons()
    {
        var w = DrainWorld();
        w.Policy("ber-1", "slow", Grafana, new JsonObject { ["bandwidthPerMigration"] = "64Mi" });
        w.Faults.Add(new JsonObject { ["type"] = "fail-migration", ["cluster"] = "ber-1", ["namespace"] = "monitoring", ["vmi"] = "grafana-0" }, w.Clock.Now);
        w.Migrate("ber-1", "monitoring", "m", "grafana-0");
        Assert.Equal("Failed", w.RunUntilFinal("ber-1", "monitoring", "m", TimeSpan.FromMinutes(5)));
        Assert.Contains("injected", w.Store("ber-1").Get(ResourceRegistry.Migration, "monitoring", "m")!["status"]!["migrationState"]!["failureReason"]!.GetValue<string>());

        // The fault was used up: the next attempt runs; losing its source node mid-flight fails it.
        w.Store("ber-1").Delete(ResourceRegistry.Migration, "monitoring", "m");
        w.Migrate("ber-1", "monitoring", "m2", "grafana-0");
        w.Run(TimeSpan.FromSeconds(15));
        Assert.Equal("Running", w.Phase("ber-1", "monitoring", "m2"));
        var node = w.Store("ber-1").Get(ResourceRegistry.VirtualMachineInstance, "monitoring", "grafana-0")!["status"]!["nodeName"]!.GetValue<string>();
        w.Faults.Add(new JsonObject { ["type"] = "lose-node", ["cluster"] = "ber-1", ["node"] = node }, w.Clock.Now);
        Assert.Equal("Failed", w.Phase("ber-1", "monitoring", "m2"));
        Assert.Contains($"node {node} was lost", w.Store("ber-1").Get(ResourceRegistry.Migration, "monitoring", "m2")!["status"]!["migrationState"]!["failureReason"]!.GetValue<string>());
        Assert.Equal("False", w.Store("ber-1").Get(ResourceRegistry.Node, "", node)!["status"]!["conditions"]![0]!["status"]!.GetValue<string>());
        Assert.Equal("Failed", w.Store("ber-1").Get(ResourceRegistry.VirtualMachineInstance, "monitoring", "grafana-0")!["status"]!["phase"]!.GetValue<string>());
    }

    [Fact]
    public void Slow_and_flapping_links_stretch_cross_cluster_migrations()
    {
        double Seconds(JsonObject? fault)
        {
            var w = new FrozenWorld("fra-to-sgp", FrozenWorld.WithoutIsolation);
            w.TrustEachOther("fra-1", "sgp-1");
            if (fault is not null)
            {
                w.Faults.Add(fault, w.Clock.Now);
            }

            w.Namespace("sgp-1", "payments");
            w.Receiver("sgp-1", "payments", "app-0");
            w.Migrate("sgp-1", "payments", "in", "app-0", new JsonObject { ["receive"] = new JsonObject { ["migrationID"] = "x" } });
            w.Migrate("fra-1", "payments", "out", "app-0", new JsonObject { ["sendTo"] = new JsonObject { ["migrationID"] = "x", ["connectURL"] = "virt-sync.sgp-1.example.net:9185" } });
            Assert.Equal("Succeeded", w.RunUntilFinal("fra-1", "payments", "out", TimeSpan.FromHours(3)));
            return RunningSeconds(w, "fra-1", "payments", "out");
        }

        var normal = Seconds(null);
        var slow = Seconds(new JsonObject { ["type"] = "slow-link", ["link"] = "fra-1~sgp-1", ["factor"] = 0.25 });
        var flapping = Seconds(new JsonObject { ["type"] = "flap-link", ["link"] = "fra-1~sgp-1", ["down"] = "20s", ["up"] = "20s" });
        Assert.InRange(slow / normal, 3, 5);
        Assert.InRange(flapping / normal, 1.6, 2.6);
    }
}
