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
/// </summary>
public static class IdlePass
{
    public static async Task Run(int vms, int clusters, int runs, Func<string, string, string, ValidationResult> validate)
    {
        var (topology, inventory, plan) = FleetGenerator.Generate(new FleetShape(vms, clusters));
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
            new SimulatorOptions(notBefore.AddDays(-30), Speed: 1e-9));
        seeding.Stop();
        var kubeconfig = Path.Combine(Directory.CreateTempSubdirectory("reconcile-bench-").FullName, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, host.Kubeconfig());
        var gateways = host.World.Clusters.Keys.ToDictionary(c => c, c => (IClusterGateway)KubernetesGateway.FromKubeconfig(c, kubeconfig, c), StringComparer.Ordinal);
        var executor = new CampaignExecutor(campaign, gateways, host.World.Clusters.Keys.First(), () => host.World.Clock.Now, backoff: Backoff.Fixed);

        var first = Stopwatch.StartNew();
        var pass = await executor.PassAsync(CancellationToken.None);
        first.Stop();
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            pass = await executor.PassAsync(CancellationToken.None);
            times.Add(watch.Elapsed.TotalMilliseconds);
            if (pass.Steps.Any(s => s.Phase != StepPhase.Pending))
            {
                throw new InvalidOperationException("a step started: the pass was not idle");
            }
        }

        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"idle pass, {vms} VMs on {clusters} clusters ({pass.Steps.Count} steps): median {times[times.Count / 2]:F0} ms (min {times[0]:F0}, max {times[^1]:F0}, {runs} passes); first pass (applies static manifests and the run) {first.Elapsed.TotalMilliseconds:F0} ms; simulator seeded in {seeding.Elapsed.TotalMilliseconds:F0} ms"));
    }
}
