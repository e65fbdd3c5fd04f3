using System.Text.Json.Nodes;
using Reconcile.Compiler;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;
using Reconcile.Simulator;

namespace Reconcile.Cli.Simulation;

/// <summary>A step's predicted and simulated times.</summary>
public sealed record StepTiming(GraphStep Step, DateTime? Start, DateTime? End, StepPhase Phase, int Attempts);

/// <summary>Everything `reconcile simulate` reports.</summary>
public sealed record SimulationReport(
    ExecutionGraph Graph,
    IReadOnlyList<StepTiming> Steps,
    IReadOnlyList<string> Events,
    IReadOnlyDictionary<string, (int Max, int Limit)> ClusterConcurrency,
    IReadOnlyDictionary<string, (int Max, int Limit)> LinkConcurrency,
    DateTime End,
    bool Completed,
    bool Stalled,
    int MigrationsCreated,
    IReadOnlyDictionary<string, string> Placement)
{
    public TimeSpan Makespan => End - Graph.Start;
}

/// <summary>
/// Runs one compiled plan through the real reconciler (CampaignExecutor, over HTTP with the official
/// client) against the simulator, in simulated time: the clock moves in steps while migrations run
/// and jumps ahead while the campaign waits for a window or a retry.
/// </summary>
public static class SimulationRunner
{
    public static async Task<SimulationReport> RunAsync(ValidationResult validation, CompiledCampaign campaign, int seed, IReadOnlyList<JsonObject> faults,
        IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        var graph = campaign.Graph;
        var plan = validation.Model.Plans.First(p => p.Name == campaign.Name);
        var topology = validation.Model.Topologies.Single(t => t.Name == plan.Topology);
        await using var host = await SimulatorHost.StartAsync(topology, validation.Model.Inventories, new SimulatorOptions(graph.Start, Speed: 1e-9, Seed: seed, Faults: faults, GuestBootTime: plan.Strategy.BootTime));
        var kubeconfig = Path.Combine(Directory.CreateTempSubdirectory("reconcile-simulate-").FullName, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, host.Kubeconfig(), cancel);
        var created = 0;
        foreach (var cluster in host.World.Clusters.Values)
        {
            // Count every VMIM ever created: a restart-safe reconciler never makes one twice for a VM in a run.
            cluster.Store.Admit = Chain(cluster.Store.Admit, (kind, obj) =>
            {
                if (kind.Kind == "VirtualMachineInstanceMigration" && obj["spec"]?["receive"] is null)
                {
                    Interlocked.Increment(ref created);
                }

                return null;
            });
        }

        var gateways = host.World.Clusters.Keys.ToDictionary(c => c, c => (IClusterGateway)KubernetesGateway.FromKubeconfig(c, kubeconfig, c), StringComparer.Ordinal);
        var clusters = graph.Steps.SelectMany(s => new[] { s.From?.Cluster, s.To?.Cluster }).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        // The first pass applies the CRD, the static manifests and the run (and again after an API error).
        var executor = new CampaignExecutor(campaign, gateways, clusters.FirstOrDefault() ?? gateways.Keys.First(), () => host.World.Clock.Now, backoff: Backoff.Fixed);

        var events = new List<string>();
        var clusterMax = new Dictionary<string, int>(StringComparer.Ordinal);
        var linkMax = new Dictionary<string, int>(StringComparer.Ordinal);
        var deadline = graph.Start + TimeSpan.FromSeconds(Math.Max(graph.MakespanSeconds * 4, 86_400)) + plan.Horizon;
        PassResult pass;
        var step = TimeSpan.FromSeconds(5);
        PassResult? last = null;
        while (true)
        {
            host.Engine.Tick();
            try
            {
                pass = await executor.PassAsync(cancel);
                last = pass;
            }
            catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
            {
                // An API error (an injected fault, say): the state is in the cluster; try again a little later, as `run` does.
                events.Add($"{GraphWriter.Time(host.World.Clock.Now)} API error, retrying: {e.Message}");
                host.World.Clock.Advance(step);
                if (host.World.Clock.Now > deadline)
                {
                    pass = last ?? throw new InvalidOperationException("the simulated API never answered", e);
                    break;
                }

                continue;
            }

            events.AddRange(pass.Events);
            foreach (var e in pass.Events)
            {
                progress?.Report(e);
            }

            Observe(graph, pass, clusterMax, linkMax);
            var now = host.World.Clock.Now;
            // A stalled run ends once nothing runs any more (a rollback runs to its end first).
            if (pass.Finished || pass.Stalled && !pass.Steps.Any(s => s.Phase == StepPhase.Running) || now > deadline)
            {
                break;
            }

            var running = pass.Steps.Any(s => s.Phase == StepPhase.Running);
            host.World.Clock.Advance(running || pass.Events.Count > 0 ? step : NextWake(campaign, pass, now) - now);
        }

        var timings = graph.Steps.Select(s =>
        {
            var state = pass.Steps.First(p => p.Id == s.Id);
            return new StepTiming(s, state.StartTime, state.EndTime, state.Phase, state.Attempts);
        }).ToList();
        var limits = graph.Limits;
        return new SimulationReport(graph, timings, events,
            clusterMax.ToDictionary(c => c.Key, c => (c.Value, limits.PerCluster.GetValueOrDefault(c.Key, int.MaxValue)), StringComparer.Ordinal),
            linkMax.ToDictionary(l => l.Key, l => (l.Value, limits.PerLink.GetValueOrDefault(l.Key, int.MaxValue)), StringComparer.Ordinal),
            timings.Where(t => t.End is not null).Select(t => t.End!.Value).DefaultIfEmpty(graph.Start).Max(),
            pass.Steps.Where(s => !s.Id.StartsWith("rollback-", StringComparison.Ordinal)).All(s => s.IsDone), pass.Stalled, created, Placement(host));
    }

    /// <summary>Where each running VMI ended: namespace/name → cluster/node.</summary>
    private static Dictionary<string, string> Placement(SimulatorHost host)
    {
        var placement = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var cluster in host.World.Clusters.Values)
        {
            foreach (var vmi in cluster.Store.List(Simulator.Api.ResourceRegistry.VirtualMachineInstance, null).Items.Where(v => v["status"]?["phase"]?.GetValue<string>() == "Running"))
            {
                placement[$"{vmi["metadata"]!["namespace"]}/{vmi["metadata"]!["name"]}"] = $"{cluster.Name}/{vmi["status"]!["nodeName"]}";
            }
        }

        return placement;
    }

    private static Func<Simulator.Api.ResourceKind, JsonObject, Simulator.Api.ApiError?> Chain(
        Func<Simulator.Api.ResourceKind, JsonObject, Simulator.Api.ApiError?>? first, Func<Simulator.Api.ResourceKind, JsonObject, Simulator.Api.ApiError?> then) =>
        (kind, obj) => first?.Invoke(kind, obj) ?? then(kind, obj);

    private static void Observe(ExecutionGraph graph, PassResult pass, Dictionary<string, int> clusterMax, Dictionary<string, int> linkMax)
    {
        var running = graph.Steps.Where(s => s.Kind is StepKind.Migrate or StepKind.ReplicateStorage && pass.Steps.First(p => p.Id == s.Id).Phase == StepPhase.Running).ToList();
        foreach (var cluster in running.SelectMany(s => new[] { s.From!.Cluster, s.To!.Cluster }).Distinct())
        {
            clusterMax[cluster] = Math.Max(clusterMax.GetValueOrDefault(cluster), running.Count(s => s.From!.Cluster == cluster || s.To!.Cluster == cluster));
        }

        foreach (var link in running.Select(s => s.Link).OfType<string>().Distinct())
        {
            linkMax[link] = Math.Max(linkMax.GetValueOrDefault(link), running.Count(s => s.Link == link));
        }
    }

    /// <summary>When nothing runs: the next window opening or retry time (at least a minute ahead).</summary>
    private static DateTime NextWake(CompiledCampaign campaign, PassResult pass, DateTime now)
    {
        var candidates = new List<DateTime>();
        candidates.AddRange(pass.Steps.Where(s => s.Phase == StepPhase.Pending && s.RetryAfter is not null).Select(s => s.RetryAfter!.Value));
        var clusters = campaign.Graph.Steps.SelectMany(s => new[] { s.From?.Cluster, s.To?.Cluster }).OfType<string>().Distinct().ToList();
        foreach (var cluster in clusters)
        {
            // The next opening, or the end of an open window that has no room left for what waits.
            candidates.AddRange(WindowCalendar.Expand(campaign.Policy.Windows, [cluster], now, TimeSpan.FromDays(30))
                .Select(w => w.Start > now ? w.Start : w.End).Where(t => t > now).Take(2));
        }

        var next = candidates.Where(c => c > now).DefaultIfEmpty(now.AddMinutes(1)).Min();
        return next < now.AddSeconds(5) ? now.AddSeconds(5) : next;
    }
}
