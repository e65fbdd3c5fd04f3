using Reconcile.Cli.Simulation;
using Reconcile.Compiler;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// The Events of a campaign beyond its steps: each stage says once that it started and once that it
/// finished, in order, and they reach the cluster as Kubernetes Events on the MigrationRun.
/// </summary>
public sealed class RunEventsTests
{
    [Fact]
    public async Task Each_stage_starts_and_finishes_once_in_order()
    {
        var validation = FrozenWorld.Load("node-drain");
        var result = Compilation.Run(validation, new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), new TemplateSet(null, Repository.Root));
        var campaign = CompiledCampaign.Of(result, result.Graphs.Single().Plan);
        var report = await SimulationRunner.RunAsync(validation, campaign, 1, []);
        Assert.True(report.Completed);
        var lines = report.Events.ToList();
        int Once(string text) => lines.IndexOf(Assert.Single(lines, e => e.Contains(text, StringComparison.Ordinal)));
        foreach (var stage in campaign.Graph.Stages.Select(s => s.Id))
        {
            Assert.True(Once($"stage {stage} started") < Once($"stage {stage} finished"));
        }

        Assert.True(Once($"stage {campaign.Graph.Stages[0].Id} finished") < Once($"stage {campaign.Graph.Stages[1].Id} started"));
    }
}
