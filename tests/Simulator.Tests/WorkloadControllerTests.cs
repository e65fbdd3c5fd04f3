using System.Text.Json.Nodes;
using Reconcile.Simulator.Api;
using Reconcile.Simulator.World;

namespace Reconcile.Simulator.Tests;

/// <summary>Snapshots, exports, DataVolume imports and run strategies: what staged and cold moves' steps wait for.</summary>
public sealed class WorkloadControllerTests
{
    private static JsonObject Obj(string name, JsonObject spec) => new() { ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec };

    [Fact]
    public void A_snapshot_export_serves_the_restored_claims_and_the_target_imports_them_over_one_connection()
    {
        // fra-1 gets an export proxy of its own, so the export and the URL name one cluster.
        var w = new FrozenWorld("fra-to-sgp", text => text.Replace(
            "synchronizationAddress: \"virt-sync.fra-1.example.net:9185\"}",
            "synchronizationAddress: \"virt-sync.fra-1.example.net:9185\", exportAddress: \"vmexport.fra-1.example.net\"}", StringComparison.Ordinal));
        w.Namespace("sgp-1", "payments");
        w.Store("fra-1").Create(ResourceRegistry.Snapshot, "payments", Obj("snap", new JsonObject { ["source"] = new JsonObject { ["apiGroup"] = "kubevirt.io", ["kind"] = "VirtualMachine", ["name"] = "app-0" } }), "test");
        w.Store("fra-1").Create(ResourceRegistry.Export, "payments", Obj("exp", new JsonObject { ["source"] = new JsonObject { ["apiGroup"] = "snapshot.kubevirt.io", ["kind"] = "VirtualMachineSnapshot", ["name"] = "snap" } }), "test");
        w.Run(TimeSpan.FromSeconds(2));
        Assert.False(w.Store("fra-1").Get(ResourceRegistry.Snapshot, "payments", "snap")!["status"]!["readyToUse"]!.GetValue<bool>());
        Assert.Equal("Pending", w.Store("fra-1").Get(ResourceRegistry.Export, "payments", "exp")!["status"]!["phase"]!.GetValue<string>());
        w.Run(TimeSpan.FromSeconds(5));
        Assert.True(w.Store("fra-1").Get(ResourceRegistry.Snapshot, "payments", "snap")!["status"]!["readyToUse"]!.GetValue<bool>());
        var export = w.Store("fra-1").Get(ResourceRegistry.Export, "payments", "exp")!;
        Assert.Equal("Ready", export["status"]!["phase"]!.GetValue<string>());
        Assert.Equal(["exp-app-0-root"], export["status"]!["links"]!["external"]!["volumes"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()));

        var proxyCa = export["status"]!["links"]!["external"]!["cert"]!.GetValue<string>();
        Assert.Equal(SimulatedWorld.ExportProxyCaCertificate("fra-1"), proxyCa);

        // An importer that does not trust the source's export proxy fails its TLS handshake and never completes.
        var url = "https://vmexport.fra-1.example.net/api/export.kubevirt.io/v1/namespaces/payments/virtualmachineexports/exp/volumes/exp-app-0-root/disk.img.gz";
        JsonObject Import(string name, string? certConfigMap) => Obj(name, new JsonObject
        {
            ["source"] = new JsonObject { ["http"] = new JsonObject { ["url"] = url, ["certConfigMap"] = certConfigMap } },
            ["storage"] = new JsonObject { ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "40Gi" } } },
        });
        w.Store("sgp-1").Create(ResourceRegistry.DataVolume, "payments", Import("untrusting", null), "test");
        w.Run(TimeSpan.FromMinutes(10));
        var refused = w.Store("sgp-1").Get(ResourceRegistry.DataVolume, "payments", "untrusting")!["status"]!;
        Assert.Equal("ImportInProgress", refused["phase"]!.GetValue<string>());
        Assert.Contains("x509: certificate signed by unknown authority", refused["conditions"]![0]!["message"]!.GetValue<string>());
        Assert.True(refused["restartCount"]!.GetValue<long>() > 0);

        // With the proxy's CA in the certConfigMap, the import crosses the fra-1~sgp-1 link at link speed.
        w.Store("sgp-1").Create(ResourceRegistry.ConfigMap, "payments", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "exp-ca" }, ["data"] = new JsonObject { ["ca.pem"] = proxyCa } }, "test");
        w.Store("sgp-1").Create(ResourceRegistry.DataVolume, "payments", Import("app-0-root", "exp-ca"), "test");
        // One HTTPS connection over the 170 ms fra-1~sgp-1 link: 4 MiB per round trip, about 24.7 MB/s.
        var seconds = 40.0 * 1024 * 1024 * 1024 / (4.0 * 1024 * 1024 / w.World.Topology.FindLink("fra-1", "sgp-1")!.Latency.TotalSeconds);
        w.Run(TimeSpan.FromSeconds(Math.Floor(seconds * 0.8)), TimeSpan.FromSeconds(5));
        var importing = w.Store("sgp-1").Get(ResourceRegistry.DataVolume, "payments", "app-0-root")!["status"]!;
        Assert.Equal("ImportInProgress", importing["phase"]!.GetValue<string>());
        w.Run(TimeSpan.FromSeconds(Math.Ceiling(seconds * 0.3)), TimeSpan.FromSeconds(5));
        Assert.Equal("Succeeded", w.Store("sgp-1").Get(ResourceRegistry.DataVolume, "payments", "app-0-root")!["status"]!["phase"]!.GetValue<string>());
    }

    [Fact]
    public void Run_strategies_stop_a_VM_and_start_one_whose_disks_are_imported()
    {
        // grafana-0's guest powers off 8 s after KubeVirt asks (measured); until then its VM is Stopping and exports nothing.
        var w = new FrozenWorld("node-drain", text => text.Replace(
            "      guest: {os: linux, virtio: true, agent: true}\n      evictionStrategy: LiveMigrate\n      volumes:\n        - {name: root, claim: grafana-0-root",
            "      guest: {os: linux, virtio: true, agent: true, shutdownTime: 8s, bootTime: 20s}\n      evictionStrategy: LiveMigrate\n      volumes:\n        - {name: root, claim: grafana-0-root", StringComparison.Ordinal));
        Assert.Equal(TimeSpan.FromSeconds(8), w.World.VmProfile("monitoring", "grafana-0")!.Guest.ShutdownTime);
        var vm = w.Store("ber-1").Get(ResourceRegistry.VirtualMachine, "monitoring", "grafana-0")!;
        vm["spec"]!["runStrategy"] = "Halted";
        w.Store("ber-1").Update(ResourceRegistry.VirtualMachine, "monitoring", "grafana-0", vm, "test");
        w.Store("ber-1").Create(ResourceRegistry.Export, "monitoring", Obj("out", new JsonObject { ["source"] = new JsonObject { ["apiGroup"] = "kubevirt.io", ["kind"] = "VirtualMachine", ["name"] = "grafana-0" } }), "test");
        w.Run(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
        Assert.NotNull(w.Store("ber-1").Get(ResourceRegistry.VirtualMachineInstance, "monitoring", "grafana-0"));
        Assert.Equal("Stopping", w.Store("ber-1").Get(ResourceRegistry.VirtualMachine, "monitoring", "grafana-0")!["status"]!["printableStatus"]!.GetValue<string>());
        var export = w.Store("ber-1").Get(ResourceRegistry.Export, "monitoring", "out")!["status"]!;
        Assert.Equal("Pending", export["phase"]!.GetValue<string>());
        Assert.Equal("InUse", export["conditions"]![0]!["reason"]!.GetValue<string>());
        w.Run(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
        Assert.Null(w.Store("ber-1").Get(ResourceRegistry.VirtualMachineInstance, "monitoring", "grafana-0"));
        Assert.Equal("Stopped", w.Store("ber-1").Get(ResourceRegistry.VirtualMachine, "monitoring", "grafana-0")!["status"]!["printableStatus"]!.GetValue<string>());
        Assert.Equal("Ready", w.Store("ber-1").Get(ResourceRegistry.Export, "monitoring", "out")!["status"]!["phase"]!.GetValue<string>());

        // Started again, the guest boots: its agent connects 20 s after its VMI runs.
        vm = w.Store("ber-1").Get(ResourceRegistry.VirtualMachine, "monitoring", "grafana-0")!;
        vm["spec"]!["runStrategy"] = "Always";
        w.Store("ber-1").Update(ResourceRegistry.VirtualMachine, "monitoring", "grafana-0", vm, "test");
        w.Run(TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(1));
        bool AgentConnected() => w.Store("ber-1").Get(ResourceRegistry.VirtualMachineInstance, "monitoring", "grafana-0")!["status"]!["conditions"]!.AsArray()
            .Any(c => c!["type"]!.GetValue<string>() == "AgentConnected");
        Assert.False(AgentConnected());
        w.Run(TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(1));
        Assert.True(AgentConnected());

        w.Store("ber-1").Create(ResourceRegistry.VirtualMachine, "monitoring", Obj("fresh", new JsonObject
        {
            ["runStrategy"] = "Always",
            ["dataVolumeTemplates"] = new JsonArray(new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "fresh-root" },
                ["spec"] = new JsonObject { ["source"] = new JsonObject { ["blank"] = new JsonObject() }, ["storage"] = new JsonObject { ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "1Gi" } } } },
            }),
            ["template"] = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "fresh" } }, ["spec"] = new JsonObject() },
        }), "test");
        w.Run(TimeSpan.FromSeconds(2));
        Assert.NotNull(w.Store("ber-1").Get(ResourceRegistry.DataVolume, "monitoring", "fresh-root"));
        Assert.Null(w.Store("ber-1").Get(ResourceRegistry.VirtualMachineInstance, "monitoring", "fresh"));
        w.Run(TimeSpan.FromSeconds(12));
        var vmi = w.Store("ber-1").Get(ResourceRegistry.VirtualMachineInstance, "monitoring", "fresh")!;
        Assert.Equal("Running", vmi["status"]!["phase"]!.GetValue<string>());
        Assert.Equal("Running", w.Store("ber-1").Get(ResourceRegistry.VirtualMachine, "monitoring", "fresh")!["status"]!["printableStatus"]!.GetValue<string>());
    }
}

/// <summary>The CLI form of faults, as `--fault` takes them.</summary>
public sealed class FaultParsingTests
{
    [Fact]
    public void Cli_faults_parse_into_the_same_objects_the_control_endpoint_takes()
    {
        Assert.Equal("{\"type\":\"api-error\",\"cluster\":\"fra-1\",\"count\":5,\"code\":503}", Faults.Parse("api-error:cluster=fra-1,count=5,code=503").ToJsonString());
        Assert.Equal("{\"type\":\"slow-link\",\"link\":\"fra-1~sgp-1\",\"factor\":0.25}", Faults.Parse("slow-link:link=fra-1~sgp-1,factor=0.25").ToJsonString());
        Assert.Equal("{\"type\":\"drop-watches\"}", Faults.Parse("drop-watches").ToJsonString());
        var faults = new Faults();
        Assert.Null(faults.Add(Faults.Parse("flap-link:link=a~b,down=30s,up=1m"), DateTime.UnixEpoch));
        Assert.Equal(0, faults.LinkFactor("a~b", DateTime.UnixEpoch.AddSeconds(10)));
        Assert.Equal(1, faults.LinkFactor("a~b", DateTime.UnixEpoch.AddSeconds(40)));
        Assert.Contains("unknown fault", faults.Add(Faults.Parse("meteor:cluster=x"), DateTime.UnixEpoch));
    }
}
