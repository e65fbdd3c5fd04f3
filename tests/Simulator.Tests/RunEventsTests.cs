using Reconcile.Cli.Simulation;
using Reconcile.Compiler;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// The Events of a campaign beyond its steps: each stage says once that it started and once that it
/// finished, in order, and they reach the cluster as Kubernetes Events on the MigrationRun; a window that
/// closes with steps planned in it not started is a WindowMissed Warning, once, also across a restart.
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

    [Fact]
    public async Task A_window_that_closes_with_its_steps_waiting_is_reported_once()
    {
        // The plan suspends itself: nothing starts in the night window it was planned for (22:30-04:30 Berlin).
        var validation = FrozenWorld.Load("node-drain", text => text.Replace("  horizon: 336h\n", "  horizon: 336h\n  suspend: true\n", StringComparison.Ordinal));
        var result = Compilation.Run(validation, new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), new TemplateSet(null, Repository.Root));
        var campaign = CompiledCampaign.Of(result, result.Graphs.Single().Plan);
        await using var sim = await RunningSimulator.Start("node-drain");
        var gateways = sim.Gateways();
        CampaignExecutor Executor() => new(campaign, gateways, "ber-1", () => sim.Host.World.Clock.Now);
        var executor = Executor();

        static int Missed(PassResult pass) => pass.Recorded.Count(e => e.Reason == "WindowMissed");
        Assert.Equal(0, Missed(await executor.PassAsync(CancellationToken.None)));
        // 03:31 UTC is 04:31 in Berlin: the window closed a minute ago.
        sim.Host.World.Clock.Advance(TimeSpan.FromMinutes(3 * 60 + 31));
        var closed = await executor.PassAsync(CancellationToken.None);
        var missed = Assert.Single(closed.Recorded, e => e.Reason == "WindowMissed");
        Assert.True(missed.Warning);
        var planned = campaign.Movers.Count(s => s.PlannedStart < new DateTime(2027, 2, 1, 3, 30, 0, DateTimeKind.Utc));
        Assert.Contains($"window nightly (2027-01-31T21:30:00Z .. 2027-02-01T03:30:00Z) closed with {planned} step(s) planned in it not started", missed.Message, StringComparison.Ordinal);

        sim.Host.World.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, Missed(await executor.PassAsync(CancellationToken.None)));
        // A restarted reconciler reads status.lastMissedWindow and does not say it again.
        Assert.Equal(0, Missed(await Executor().PassAsync(CancellationToken.None)));
        var events = sim.Host.World.Clusters["ber-1"].Store.List(Reconcile.Simulator.Api.ResourceRegistry.Event, "reconcile-system").Items;
        Assert.Single(events, e => e["reason"]?.GetValue<string>() == "WindowMissed" && e["type"]?.GetValue<string>() == "Warning");
    }
}
