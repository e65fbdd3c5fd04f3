using System.Text.Json.Nodes;
using Reconcile.Reconciler.Clusters;

namespace Reconcile.Simulator.Tests;

/// <summary>The api-latency fault: a far region's API answers late but the same, on the cluster named only, until cleared.</summary>
public sealed class ApiLatencyFaultTests
{
    [Fact]
    public async Task A_slow_clusters_API_answers_the_same_the_others_are_untouched_and_clearing_ends_it()
    {
        Assert.NotNull(Faults.Problem(new JsonObject { ["type"] = "api-latency", ["cluster"] = "ber-1" }));
        Assert.NotNull(Faults.Problem(new JsonObject { ["type"] = "api-latency", ["ms"] = -5 }));
        await using var sim = await RunningSimulator.Start("node-drain");
        var gateway = KubernetesGateway.FromKubeconfig("ber-1", sim.Kubeconfig, "ber-1");
        var before = await gateway.GetAsync("v1", "Namespace", null, "kube-system", CancellationToken.None);

        Assert.Null(sim.Host.Faults.Add(new JsonObject { ["type"] = "api-latency", ["cluster"] = "ber-1", ["ms"] = 200 }, DateTime.UtcNow));
        Assert.Equal(TimeSpan.FromMilliseconds(200), sim.Host.Faults.Latency("ber-1"));
        Assert.Equal(TimeSpan.Zero, sim.Host.Faults.Latency("elsewhere"));
        var slow = await gateway.GetAsync("v1", "Namespace", null, "kube-system", CancellationToken.None);
        Assert.True(JsonNode.DeepEquals(before, slow));

        sim.Host.Faults.Clear();
        Assert.Equal(TimeSpan.Zero, sim.Host.Faults.Latency("ber-1"));
    }
}
