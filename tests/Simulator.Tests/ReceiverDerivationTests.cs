using System.Text.Json.Nodes;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Simulator.Tests;

/// <summary>The receiver is the source VM with only what must change (issue 11 point 4).</summary>
public sealed class ReceiverDerivationTests
{
    private static JsonObject Source() => (JsonObject)JsonNode.Parse("""
        {
          "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
          "metadata": {
            "name": "db-0", "namespace": "payments", "uid": "u-1", "resourceVersion": "42", "generation": 3,
            "labels": {"app": "payments"},
            "annotations": {"kubevirt.io/latest-observed-api-version": "v1", "team": "dba", "migration.reconcile.dev/apply": "patch"},
            "managedFields": [{"manager": "kubectl"}]
          },
          "spec": {
            "runStrategy": "RerunOnFailure",
            "instancetype": {"name": "u1.large"},
            "dataVolumeTemplates": [{"metadata": {"name": "db-0-root"}, "spec": {"source": {"registry": {"url": "docker://img"}}}}],
            "template": {
              "metadata": {"labels": {"app": "payments", "kubevirt.io/domain": "db-0"}},
              "spec": {
                "nodeSelector": {"zone": "a"},
                "domain": {
                  "machine": {"type": "pc-q35-rhel9.6.0"},
                  "firmware": {"uuid": "5d30", "bootloader": {"efi": {"secureBoot": true}}},
                  "devices": {"disks": [{"name": "root"}, {"name": "cloudinit"}], "interfaces": [{"name": "storage", "macAddress": "02:00:00:00:00:01", "bridge": {}}], "tpm": {}},
                  "resources": {"requests": {"memory": "16Gi"}}
                },
                "networks": [{"name": "storage", "multus": {"networkName": "storage-net-fra"}}],
                "volumes": [
                  {"name": "root", "dataVolume": {"name": "db-0-root"}},
                  {"name": "cloudinit", "cloudInitNoCloud": {"userData": "#cloud-config"}}
                ]
              }
            }
          },
          "status": {"printableStatus": "Running"}
        }
        """)!;

    private static JsonObject Rendered(string runStrategy) => (JsonObject)JsonNode.Parse("""
        {
          "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
          "metadata": {"name": "db-0", "namespace": "payments-sgp", "labels": {"migration.reconcile.dev/plan": "p"}},
          "spec": {
            "runStrategy": "RUN_STRATEGY",
            "dataVolumeTemplates": [{"metadata": {"name": "db-0-root"}, "spec": {"source": {"blank": {}}}}],
            "template": {
              "metadata": {"labels": {"migration.reconcile.dev/plan": "p"}},
              "spec": {
                "nodeSelector": {"host-model-cpu.node.kubevirt.io/Cascadelake-Server": "true"},
                "domain": {"cpu": {"model": "host-model"}},
                "networks": [{"name": "storage", "multus": {"networkName": "storage-net-sgp"}}],
                "volumes": [{"name": "root", "dataVolume": {"name": "db-0-root"}}]
              }
            }
          }
        }
        """.Replace("RUN_STRATEGY", runStrategy, StringComparison.Ordinal))!;

    [Fact]
    public void A_live_receiver_keeps_the_source_domain_and_restores_its_own_run_strategy()
    {
        var (vm, problem) = ReceiverDerivation.Derive(Source(), Rendered("WaitAsReceiver"));
        Assert.Null(problem);
        var spec = vm!["spec"]!;
        Assert.Equal("WaitAsReceiver", spec["runStrategy"]!.GetValue<string>());
        Assert.Equal("RerunOnFailure", vm["metadata"]!["annotations"]!["kubevirt.io/restore-run-strategy"]!.GetValue<string>());
        Assert.Equal("dba", vm["metadata"]!["annotations"]!["team"]!.GetValue<string>());
        Assert.Null(vm["metadata"]!["annotations"]!["kubevirt.io/latest-observed-api-version"]);
        Assert.Null(vm["metadata"]!["annotations"]!["migration.reconcile.dev/apply"]);
        Assert.Equal("payments-sgp", vm["metadata"]!["namespace"]!.GetValue<string>());
        foreach (var field in new[] { "uid", "resourceVersion", "generation", "managedFields" })
        {
            Assert.Null(vm["metadata"]![field]);
        }

        Assert.Null(vm["status"]);
        Assert.Equal("u1.large", spec["instancetype"]!["name"]!.GetValue<string>());
        var template = spec["template"]!["spec"]!;
        Assert.Equal("pc-q35-rhel9.6.0", template["domain"]!["machine"]!["type"]!.GetValue<string>());
        Assert.Equal("5d30", template["domain"]!["firmware"]!["uuid"]!.GetValue<string>());
        Assert.NotNull(template["domain"]!["devices"]!["tpm"]);
        Assert.Equal("02:00:00:00:00:01", template["domain"]!["devices"]!["interfaces"]![0]!["macAddress"]!.GetValue<string>());
        // What must change: the target's disks and attachments, placement, Reconcile's labels.
        Assert.Equal("blank", spec["dataVolumeTemplates"]![0]!["spec"]!["source"]!.AsObject().Single().Key);
        Assert.Equal(["root", "cloudinit"], template["volumes"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()));
        Assert.NotNull(template["volumes"]![1]!["cloudInitNoCloud"]);
        Assert.Equal("storage-net-sgp", template["networks"]![0]!["multus"]!["networkName"]!.GetValue<string>());
        Assert.Equal(["host-model-cpu.node.kubevirt.io/Cascadelake-Server", "zone"], template["nodeSelector"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("p", spec["template"]!["metadata"]!["labels"]!["migration.reconcile.dev/plan"]!.GetValue<string>());
        Assert.Equal("payments", vm["metadata"]!["labels"]!["app"]!.GetValue<string>());
    }

    [Fact]
    public void A_cold_copy_keeps_the_run_strategy_the_source_had_before_it_was_halted()
    {
        var source = Source();
        source["spec"]!["runStrategy"] = "Halted";
        source["metadata"]!["annotations"]![ReceiverDerivation.OriginalRunStrategyAnnotation] = "Manual";
        var (vm, _) = ReceiverDerivation.Derive(source, Rendered("Always"));
        Assert.Equal("Manual", vm!["spec"]!["runStrategy"]!.GetValue<string>());
        Assert.Null(vm["metadata"]!["annotations"]![ReceiverDerivation.OriginalRunStrategyAnnotation]);
    }

    [Fact]
    public void A_source_disk_the_inventory_does_not_list_fails_the_step_instead_of_being_left_behind()
    {
        var source = Source();
        source["spec"]!["template"]!["spec"]!["volumes"]!.AsArray().Add(new JsonObject { ["name"] = "scratch", ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = "db-0-scratch" } });
        var (vm, problem) = ReceiverDerivation.Derive(source, Rendered("WaitAsReceiver"));
        Assert.Null(vm);
        Assert.Contains("volume scratch", problem);
    }
}
