using System.Text.Json.Nodes;

namespace Reconcile.Compiler.Tests.Conformance;

/// <summary>What the rendered network policies open, for the isolation each cluster declares (issue: NetworkPolicy that does not break the cluster).</summary>
public sealed class MigrationPolicyTests
{
    private static Dictionary<string, JsonObject> Policies(string example) =>
        ManifestConformanceTests.Render(example).Files
            .Where(f => f.Path.Contains("/static/", StringComparison.Ordinal) && f.Path.Contains("networkpolicy", StringComparison.Ordinal))
            .ToDictionary(f => f.Path, f => ManifestConformanceTests.ParseAll(f).Single(), StringComparer.Ordinal);

    private static List<string> Cidrs(JsonNode? peers) =>
        [.. (peers?.AsArray() ?? []).Select(p => p!["ipBlock"]!["cidr"]!.GetValue<string>())];

    [Fact]
    public void Nothing_is_rendered_where_no_isolation_is_declared()
    {
        Assert.Empty(Policies("node-drain"));
        Assert.DoesNotContain(Policies("onprem-to-cloud").Keys, p => p.StartsWith("ams-onprem/", StringComparison.Ordinal));
    }

    [Fact]
    public void On_the_pod_network_virt_handler_is_open_on_every_TCP_port_to_the_peers_only()
    {
        var policies = Policies("onprem-to-cloud");
        var handler = policies["aws-euw1/static/networkpolicy-migration.yaml"];
        Assert.Equal("NetworkPolicy", handler["kind"]!.GetValue<string>());
        Assert.Equal("kubevirt", handler["metadata"]!["namespace"]!.GetValue<string>());
        Assert.Equal("virt-handler", handler["spec"]!["podSelector"]!["matchLabels"]!["kubevirt.io"]!.GetValue<string>());
        Assert.Equal(["Ingress", "Egress"], handler["spec"]!["policyTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        var ingress = handler["spec"]!["ingress"]!.AsArray().Single()!;
        var egress = handler["spec"]!["egress"]!.AsArray().Single()!;
        Assert.Equal(["10.8.0.0/22"], Cidrs(ingress["from"]));
        Assert.Equal(["10.8.0.0/22"], Cidrs(egress["to"]));
        // The proxies listen on random ports: a port-less TCP entry, never a range.
        foreach (var rule in new[] { ingress, egress })
        {
            var port = rule["ports"]!.AsArray().Single()!.AsObject();
            Assert.Equal(["protocol"], port.Select(p => p.Key));
        }

        var sync = policies["aws-euw1/static/networkpolicy-synchronization.yaml"];
        Assert.Equal("virt-synchronization-controller", sync["spec"]!["podSelector"]!["matchLabels"]!["kubevirt.io"]!.GetValue<string>());
        Assert.Equal(9185L, sync["spec"]!["ingress"]![0]!["ports"]![0]!["port"]!.GetValue<long>());
        Assert.Equal(["10.8.0.0/22"], Cidrs(sync["spec"]!["ingress"]![0]!["from"]));
        Assert.Null(sync["spec"]!["egress"]![0]!["to"]);
    }

    [Fact]
    public void A_Multus_migration_network_gets_a_MultiNetworkPolicy_for_its_attachment_and_no_NetworkPolicy_for_virt_handler()
    {
        var policies = Policies("fra-to-sgp");
        Assert.DoesNotContain(policies.Keys, p => p.EndsWith("/networkpolicy-migration.yaml", StringComparison.Ordinal));
        var multi = policies["fra-1/static/multinetworkpolicy-migration.yaml"];
        Assert.Equal("k8s.cni.cncf.io/v1beta1", multi["apiVersion"]!.GetValue<string>());
        Assert.Equal("kubevirt/migration-net", multi["metadata"]!["annotations"]!["k8s.v1.cni.cncf.io/policy-for"]!.GetValue<string>());
        // fra-1 sends to fra-2 and keeps its own range open: in-cluster migrations cross the same attachment.
        Assert.Equal(["10.20.0.0/24", "10.21.0.0/24"], Cidrs(multi["spec"]!["ingress"]![0]!["from"]));
        Assert.Contains("fra-1/static/networkpolicy-synchronization.yaml", policies.Keys);
    }
}
