using System.Text.Json.Nodes;
using Reconcile.Simulator.Api;
using Reconcile.Simulator.Network;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// Migrations through clusters whose kubevirt namespace is isolated (topology migration.isolatedBy): the
/// simulator enforces NetworkPolicy and MultiNetworkPolicy on every connection, with the random proxy
/// ports KubeVirt uses, and the policies `compile` renders must let exactly the plan's migrations through.
/// </summary>
public sealed class MigrationFirewallTests
{
    private static string FailureReason(FrozenWorld w, string cluster, string vmim) =>
        w.Store(cluster).Get(ResourceRegistry.Migration, "payments", vmim)!["status"]!["migrationState"]!["failureReason"]!.GetValue<string>();

    /// <summary>app-0 from fra-1 to fra-2, both isolated by NetworkPolicy and MultiNetworkPolicy in the example.</summary>
    private static string MoveAcross(FrozenWorld w)
    {
        w.Namespace("fra-2", "payments");
        w.TrustEachOther("fra-1", "fra-2");
        w.Receiver("fra-2", "payments", "app-0");
        w.Migrate("fra-2", "payments", "in", "app-0", new JsonObject { ["receive"] = new JsonObject { ["migrationID"] = "id-1" } });
        w.Migrate("fra-1", "payments", "out", "app-0", new JsonObject { ["sendTo"] = new JsonObject { ["migrationID"] = "id-1", ["connectURL"] = "virt-sync.fra-2.example.net:9185" } });
        return w.RunUntilFinal("fra-1", "payments", "out", TimeSpan.FromMinutes(30));
    }

    [Fact]
    public void An_isolated_cluster_refuses_migrations_until_the_rendered_policies_admit_them()
    {
        var closed = new FrozenWorld("fra-to-sgp");
        Assert.Equal("Failed", MoveAcross(closed));
        Assert.Contains("cannot connect on port 9185", FailureReason(closed, "fra-1", "out"));
        Assert.Contains("default-deny", FailureReason(closed, "fra-1", "out"));

        var open = new FrozenWorld("fra-to-sgp");
        open.ApplyRendered("fra-to-sgp", name => name.Contains("networkpolicy", StringComparison.Ordinal));
        Assert.Equal("Succeeded", MoveAcross(open));
    }

    [Fact]
    public void A_policy_limited_to_a_port_range_refuses_the_random_proxy_port()
    {
        var w = new FrozenWorld("fra-to-sgp");
        w.ApplyRendered("fra-to-sgp", name => name.Contains("networkpolicy", StringComparison.Ordinal));
        // The rule the earlier renderer wrote: the migration ports 49152-49215 only.
        var multi = w.Store("fra-2").Get(MigrationFirewall.MultiNetworkPolicy, "kubevirt", "reconcile-fra-to-sgp-payments-migration")!;
        multi["spec"]!["ingress"]![0]!["ports"] = new JsonArray(new JsonObject { ["protocol"] = "TCP", ["port"] = 49152 });
        w.Store("fra-2").Update(MigrationFirewall.MultiNetworkPolicy, "kubevirt", "reconcile-fra-to-sgp-payments-migration", multi, "test");
        Assert.Equal("Failed", MoveAcross(w));
        Assert.Matches(@"dial tcp 10\.21\.0\.10:\d+: i/o timeout \(fra-2 MultiNetworkPolicy ingress isolated by", FailureReason(w, "fra-1", "out"));
        Assert.NotInRange(MigrationFirewall.ProxyPort("fra-1/payments/out"), 49152, 49215);
    }

    [Fact]
    public void Migrations_inside_an_isolated_cluster_need_its_own_range_on_the_attachment()
    {
        var closed = new FrozenWorld("fra-to-sgp");
        closed.Migrate("fra-1", "payments", "local", "app-0");
        Assert.Equal("Failed", closed.RunUntilFinal("fra-1", "payments", "local", TimeSpan.FromMinutes(30)));
        Assert.Contains("MultiNetworkPolicy", FailureReason(closed, "fra-1", "local"));

        var open = new FrozenWorld("fra-to-sgp");
        open.ApplyRendered("fra-to-sgp", name => name.Contains("networkpolicy", StringComparison.Ordinal));
        open.Migrate("fra-1", "payments", "local", "app-0");
        Assert.Equal("Succeeded", open.RunUntilFinal("fra-1", "payments", "local", TimeSpan.FromMinutes(30)));
    }

    [Fact]
    public void On_the_pod_network_KubeVirts_own_handler_policy_carries_migrations_between_nodes()
    {
        var w = new FrozenWorld("onprem-to-cloud");
        var aws = w.World.Topology.Clusters.Single(c => c.Name == "aws-euw1");
        Assert.Null(aws.Migration.Network);
        Assert.Null(MigrationFirewall.Refusal(w.World.Clusters["aws-euw1"], w.World.Clusters["aws-euw1"], 40000));
        Assert.NotNull(MigrationFirewall.Refusal(w.World.Clusters["ams-onprem"], w.World.Clusters["aws-euw1"], 40000));
        w.ApplyRendered("onprem-to-cloud", name => name.Contains("networkpolicy", StringComparison.Ordinal));
        Assert.Null(MigrationFirewall.Refusal(w.World.Clusters["ams-onprem"], w.World.Clusters["aws-euw1"], 40000));
    }
}

/// <summary>Host-passthrough guests need a target host with the same CPU, which KubeVirt does not choose for them.</summary>
public sealed class HostCpuPlacementTests
{
    private static FrozenWorld MixedWorld() => new("fra-to-sgp", text =>
    {
        text = FrozenWorld.WithoutIsolation(text).Replace("        - {name: fra-2-w1, cpuModel: Cascadelake-Server",
            "        - {name: fra-2-w0, cpuModel: Icelake-Server, memory: 768Gi, cpu: 96}\n        - {name: fra-2-w1, cpuModel: Cascadelake-Server", StringComparison.Ordinal)
            .Replace("        - {name: sgp-1-w1, cpuModel: Icelake-Server", "        - {name: sgp-1-w0, cpuModel: Cascadelake-Server, memory: 768Gi, cpu: 96}\n        - {name: sgp-1-w1, cpuModel: Icelake-Server", StringComparison.Ordinal);
        var at = text.IndexOf("    - name: app-0", StringComparison.Ordinal);
        if (at < 0)
        {
            return text;
        }

        var cpu = text.IndexOf("cpu: {cores: 4}", at, StringComparison.Ordinal);
        return text[..cpu] + "cpu: {cores: 4, model: host-passthrough}" + text[(cpu + "cpu: {cores: 4}".Length)..];
    });

    private static string Move(FrozenWorld w, JsonObject? nodeSelector)
    {
        w.Namespace("fra-2", "payments");
        w.TrustEachOther("fra-1", "fra-2");
        w.Receiver("fra-2", "payments", "app-0", nodeSelector);
        w.Migrate("fra-2", "payments", "in", "app-0", new JsonObject { ["receive"] = new JsonObject { ["migrationID"] = "id-1" } });
        w.Migrate("fra-1", "payments", "out", "app-0", new JsonObject { ["sendTo"] = new JsonObject { ["migrationID"] = "id-1", ["connectURL"] = "virt-sync.fra-2.example.net:9185" } });
        return w.RunUntilFinal("fra-1", "payments", "out", TimeSpan.FromMinutes(30));
    }

    [Fact]
    public void Without_a_selector_the_scheduler_picks_a_host_of_another_CPU_and_the_migration_fails()
    {
        var w = MixedWorld();
        Assert.Equal("Failed", Move(w, null));
        Assert.Contains("guest CPU doesn't match", w.Store("fra-1").Get(ResourceRegistry.Migration, "payments", "out")!["status"]!["migrationState"]!["failureReason"]!.GetValue<string>());
    }

    [Fact]
    public void The_host_model_cpu_label_of_the_source_host_keeps_it_on_a_matching_node()
    {
        var w = MixedWorld();
        Assert.Equal("Succeeded", Move(w, new JsonObject { ["host-model-cpu.node.kubevirt.io/Cascadelake-Server"] = "true" }));
        Assert.Equal("fra-2-w1", w.Store("fra-2").Get(ResourceRegistry.VirtualMachineInstance, "payments", "app-0")!["status"]!["nodeName"]!.GetValue<string>());
    }

    [Fact]
    public void A_receiver_rebuilt_without_the_source_domain_cannot_take_the_guest()
    {
        var w = new FrozenWorld("fra-to-sgp", FrozenWorld.WithoutIsolation);
        w.Namespace("fra-2", "payments");
        w.TrustEachOther("fra-1", "fra-2");
        var template = w.SourceTemplate("fra-2", "payments", "app-0");
        template["spec"]!["domain"]!.AsObject().Remove("firmware");
        w.Store("fra-2").Create(ResourceRegistry.VirtualMachine, "payments", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "app-0" },
            ["spec"] = new JsonObject { ["runStrategy"] = "WaitAsReceiver", ["template"] = template },
        }, "test");
        w.Engine.Tick();
        w.Migrate("fra-2", "payments", "in", "app-0", new JsonObject { ["receive"] = new JsonObject { ["migrationID"] = "id-1" } });
        w.Migrate("fra-1", "payments", "out", "app-0", new JsonObject { ["sendTo"] = new JsonObject { ["migrationID"] = "id-1", ["connectURL"] = "virt-sync.fra-2.example.net:9185" } });
        Assert.Equal("Failed", w.RunUntilFinal("fra-1", "payments", "out", TimeSpan.FromMinutes(30)));
        Assert.Contains("domain.firmware.uuid is unset on the target", w.Store("fra-1").Get(ResourceRegistry.Migration, "payments", "out")!["status"]!["migrationState"]!["failureReason"]!.GetValue<string>());
    }
}
