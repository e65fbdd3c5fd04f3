using System.Diagnostics;
using System.Globalization;
using Reconcile.Compiler;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;
using Reconcile.Simulator;

namespace Reconcile.Bench;

/// <summary>
/// How long the reconciler's pass takes when there is nothing to do: a compiled fleet applied to the
/// simulator (over HTTP with the official client, as `reconcile run` does), its clock a month before
/// the plan's notBefore, so every pass reads the run and the step objects and starts nothing. The first
/// pass (which applies the static manifests and the run) is reported apart; then the median of RUNS.
/// Midway: the fleet has nightly windows, the run's status records the first half of the stages as
/// done, and the clock stands at noon after notBefore, so every pass also weighs the next stage's
/// migrations against the closed window (and a status of ~10,000 finished steps is read each time).
/// </summary>
public static class IdlePass
{
    public static async Task Run(int vms, int clusters, int runs, bool midway, int latencyMs, Func<string, string, string, ValidationResult> validate)
    {
        // The pass as `reconcile run` runs it (the same collector settings).
        Reconciler.ReconcilerProcess.UseBatchCollections();
        var (topology, inventory, plan) = FleetGenerator.Generate(new FleetShape(vms, clusters, Windows: midway));
        var validation = validate(topology, inventory, plan);
        var notBefore = new DateTime(2027, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        var compiled = Compilation.Run(validation, notBefore, new Compiler.Rendering.TemplateSet());
        if (compiled.HasErrors)
        {
            throw new InvalidOperationException(string.Join("\n", compiled.Diagnostics.Where(d => d.IsError)));
        }

        var campaign = CompiledCampaign.Of(compiled, compiled.Graphs[0].Plan);
        var seeding = Stopwatch.StartNew();
        await using var host = await SimulatorHost.StartAsync(validation.Model.Topologies[0], validation.Model.Inventories,
            new SimulatorOptions(midway ? notBefore.AddDays(1).AddHours(12) : notBefore.AddDays(-30), Speed: 1e-9));
        seeding.Stop();
        var kubeconfig = Path.Combine(Directory.CreateTempSubdirectory("reconcile-bench-").FullName, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, host.Kubeconfig());
        var gateways = host.World.Clusters.Keys.ToDictionary(c => c, c => (IClusterGateway)KubernetesGateway.FromKubeconfig(c, kubeconfig, c), StringComparer.Ordinal);
        var executor = new CampaignExecutor(campaign, gateways, host.World.Clusters.Keys.First(), () => host.World.Clock.Now, backoff: Backoff.Fixed);

        if (latencyMs > 0)
        {
            // Every API request waits as a far region's round trip would (the simulator's api-latency fault).
            host.Faults.Add(new System.Text.Json.Nodes.JsonObject { ["type"] = "api-latency", ["ms"] = latencyMs }, host.World.Clock.Now);
        }

        var first = Stopwatch.StartNew();
        if (midway)
        {
            await executor.ApplyStaticAsync(CancellationToken.None);
            await RecordFirstHalfDone(campaign, gateways[host.World.Clusters.Keys.First()], executor.RunName, host.World.Clock.Now);
        }

        var pass = await executor.PassAsync(CancellationToken.None);
        first.Stop();
        var done = pass.Steps.Count(s => s.IsDone);
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            pass = await executor.PassAsync(CancellationToken.None);
            times.Add(watch.Elapsed.TotalMilliseconds);
            if (pass.Steps.Any(s => s.Phase != StepPhase.Pending && !s.IsDone) || pass.Steps.Count(s => s.IsDone) != done)
            {
                throw new InvalidOperationException("a step started: the pass was not idle");
            }
        }

        // The floor: reading the run alone (the API server's serialization, the transfer and the client's parse).
        var reads = new List<double>();
        var home = gateways[host.World.Clusters.Keys.First()];
        long size = 0;
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            var live = await home.GetAsync(CampaignExecutor.RunApiVersion, CampaignExecutor.RunKind, CampaignExecutor.RunNamespace, executor.RunName, CancellationToken.None);
            reads.Add(watch.Elapsed.TotalMilliseconds);
            size = live!.ToJsonString().Length;
        }

        times.Sort();
        reads.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"idle pass{(midway ? " midway" : "")}{(latencyMs > 0 ? $", {latencyMs} ms per API request" : "")}, {vms} VMs on {clusters} clusters ({pass.Steps.Count} steps, {done} done): median {times[times.Count / 2]:F0} ms (min {times[0]:F0}, max {times[^1]:F0}, {runs} passes); first pass (applies static manifests and the run) {first.Elapsed.TotalMilliseconds:F0} ms; simulator seeded in {seeding.Elapsed.TotalMilliseconds:F0} ms; reading the run alone ({size / 1048576.0:F2} MiB as JSON): median {reads[reads.Count / 2]:F1} ms"));
    }

    /// <summary>Writes a status in which every step of the first half of the stages succeeded, as a campaign half through would have it.</summary>
    private static async Task RecordFirstHalfDone(CompiledCampaign campaign, IClusterGateway home, string runName, DateTime now)
    {
        var stages = campaign.Graph.Steps.Select(s => s.Stage).Distinct().ToList();
        var finished = stages.Take(stages.Count / 2).ToHashSet(StringComparer.Ordinal);
        var state = campaign.Graph.Steps.ToDictionary(s => s.Id, s => finished.Contains(s.Stage)
            ? new StepState(s.Id, StepPhase.Succeeded, 1, now.AddHours(-12), now.AddHours(-11), Stage: s.Stage, Kind: Compiler.Planning.GraphWriter.KindName(s.Kind))
            : new StepState(s.Id, StepPhase.Pending, Stage: s.Stage, Kind: Compiler.Planning.GraphWriter.KindName(s.Kind)), StringComparer.Ordinal);
        var status = new System.Text.Json.Nodes.JsonObject();
        RunStepRecords.Write(status, state);
        await home.ApplyStatusAsync(new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = CampaignExecutor.RunApiVersion,
            ["kind"] = CampaignExecutor.RunKind,
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = runName, ["namespace"] = CampaignExecutor.RunNamespace },
            ["status"] = status,
        }, CancellationToken.None);
    }
}
