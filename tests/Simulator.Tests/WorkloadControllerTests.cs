using System.Text.Json.Nodes;
using Reconcile.Simulator.Api;

namespace Reconcile.Simulator.Tests;

/// <summary>Snapshots, exports, DataVolume imports and run strategies: what staged and cold moves' steps wait for.</summary>
public sealed class WorkloadControllerTests
{
    private static JsonObject Obj(string name, JsonObject spec) => new() { ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec };

    [Fact]
    public void A_snapshot_export_serves_the_restored_claims_and_the_target_imports_them_at_link_speed()
    {
        var w = new FrozenWorld("fra-to-sgp");
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

        // The URL names fra-2's export proxy, so the import crosses the fra-2~sgp-1 link (10 Gbit/s): 40 GiB in about 34 s.
        var url = "https://vmexport.fra-2.example.net/api/export.kubevirt.io/v1/namespaces/payments/virtualmachineexports/exp/volumes/exp-app-0-root/disk.img.gz";
        w.Store("sgp-1").Create(ResourceRegistry.DataVolume, "payments", Obj("app-0-root", new JsonObject
        {
            ["source"] = new JsonObject { ["http"] = new JsonObject { ["url"] = url } },
            ["storage"] = new JsonObject { ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "40Gi" } } },
        }), "test");
        w.Run(TimeSpan.FromSeconds(25));
        var importing = w.Store("sgp-1").Get(ResourceRegistry.DataVolume, "payments", "app-0-root")!["status"]!;
        Assert.Equal("ImportInProgress", importing["phase"]!.GetValue<string>());
        w.Run(TimeSpan.FromSeconds(15));
        Assert.Equal("Succeeded", w.Store("sgp-1").Get(ResourceRegistry.DataVolume, "payments", "app-0-root")!["status"]!["phase"]!.GetValue<string>());
    }

    [Fact]
    public void Run_strategies_stop_a_VM_and_start_one_whose_disks_are_imported()
    {
        var w = new FrozenWorld("node-drain");
        var vm = w.Store("ber-1").Get(ResourceRegistry.VirtualMachine, "monitoring", "grafana-0")!;
        vm["spec"]!["runStrategy"] = "Halted";
        w.Store("ber-1").Update(ResourceRegistry.VirtualMachine, "monitoring", "grafana-0", vm, "test");
        w.Run(TimeSpan.FromSeconds(1));
        Assert.Null(w.Store("ber-1").Get(ResourceRegistry.VirtualMachineInstance, "monitoring", "grafana-0"));
        Assert.Equal("Stopped", w.Store("ber-1").Get(ResourceRegistry.VirtualMachine, "monitoring", "grafana-0")!["status"]!["printableStatus"]!.GetValue<string>());

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
