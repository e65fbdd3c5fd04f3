using System.Text.Json.Nodes;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Compiler.Tests;

/// <summary>
/// A revision's static manifests (policies, the label patches of every leaving VM, alert rules) go to all
/// clusters at once, a bounded number in flight per cluster, each object exactly once: a 10,000-VM
/// campaign has 20,000 label patches, and one request at a time across regions costs a round trip each.
/// </summary>
public sealed class StaticManifestsTests
{
    [Fact]
    public async Task Every_static_object_is_applied_once_to_its_cluster_the_clusters_at_once_and_a_bounded_number_in_flight_each()
    {
        var directory = Repository.PathOf("tests", "Compiler.Tests", "Goldens", "fleet");
        var validation = PlanValidator.Validate([directory], directory);
        var result = Compilation.Run(validation, new DateTime(2027, 3, 1, 0, 0, 0, DateTimeKind.Utc), new TemplateSet(null, Repository.Root));
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var campaign = CompiledCampaign.Of(result, Assert.Single(result.Graphs).Plan);
        var all = new InFlight();
        var gateways = validation.Model.Topologies[0].Clusters.ToDictionary(c => c.Name, c => new RecordingGateway(c.Name, all), StringComparer.Ordinal);

        await StaticManifests.ApplyAsync(campaign, gateways.ToDictionary(g => g.Key, g => (IClusterGateway)g.Value, StringComparer.Ordinal), CancellationToken.None);

        foreach (var (cluster, gateway) in gateways)
        {
            var expected = campaign.Files.Keys.Where(p => p.StartsWith($"{cluster}/static/", StringComparison.Ordinal) && !p.EndsWith("kustomization.yaml", StringComparison.Ordinal))
                .SelectMany(campaign.FileObjects).Select(Identity).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, gateway.Applied.Order(StringComparer.Ordinal));
            // Several at once where there are more than one cluster's share (the clusters VMs leave), never more.
            Assert.InRange(gateway.Counter.Max, Math.Min(expected.Count, 2), StaticManifests.PerCluster);
        }

        Assert.Contains(gateways.Values, g => g.Applied.Count > StaticManifests.PerCluster);
        Assert.True(all.Max > StaticManifests.PerCluster, $"at most {all.Max} requests were in flight: the clusters were not applied at once");
    }

    private static string Identity(JsonObject obj) =>
        $"{obj["apiVersion"]}/{obj["kind"]} {obj["metadata"]?["namespace"]}/{obj["metadata"]!["name"]}";

    private sealed class InFlight
    {
        private int now;
        private int max;

        public int Max => Volatile.Read(ref max);

        public void Enter()
        {
            var current = Interlocked.Increment(ref now);
            for (var seen = Volatile.Read(ref max); current > seen; seen = Volatile.Read(ref max))
            {
                if (Interlocked.CompareExchange(ref max, current, seen) == seen)
                {
                    break;
                }
            }
        }

        public void Leave() => Interlocked.Decrement(ref now);
    }

    /// <summary>A cluster that records what is applied and how many applies overlap; each takes a few milliseconds, as a request does.</summary>
    private sealed class RecordingGateway(string cluster, InFlight all) : IClusterGateway
    {
        private readonly Lock gate = new();

        public string Cluster => cluster;

        public InFlight Counter { get; } = new();

        public List<string> Applied { get; } = [];

        public async Task<JsonObject> ApplyAsync(JsonObject obj, CancellationToken cancel)
        {
            Counter.Enter();
            all.Enter();
            try
            {
                await Task.Delay(5, cancel);
                lock (gate)
                {
                    Applied.Add(Identity(obj));
                }

                return obj;
            }
            finally
            {
                all.Leave();
                Counter.Leave();
            }
        }

        public Task<JsonObject> ApplyStatusAsync(JsonObject obj, CancellationToken cancel) => throw new NotSupportedException();

        public Task<JsonObject?> GetAsync(string apiVersion, string kind, string? ns, string name, CancellationToken cancel) => throw new NotSupportedException();

        public Task<IReadOnlyList<JsonObject>> ListAsync(string apiVersion, string kind, string? ns, string? labelSelector, CancellationToken cancel) => throw new NotSupportedException();

        public Task DeleteAsync(string apiVersion, string kind, string? ns, string name, CancellationToken cancel) => throw new NotSupportedException();

        public Task EnsureNamespaceAsync(string ns, CancellationToken cancel) => throw new NotSupportedException();

        public Task RecordEventAsync(JsonObject involved, string type, string reason, string message, DateTime time, CancellationToken cancel) => throw new NotSupportedException();
    }
}
