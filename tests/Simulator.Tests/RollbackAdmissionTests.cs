using System.Globalization;
using System.Text.Json.Nodes;
using Reconcile.Compiler;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Simulator.Tests;

/// <summary>A rollback is migrations too: it waits for a window, keeps to the limits, and a failed reversal is retried.</summary>
public sealed class RollbackAdmissionTests
{
    [Fact]
    public async Task Reversals_wait_for_the_next_window_keep_to_the_node_limit_and_a_failed_one_is_retried()
    {
        var validation = FrozenWorld.Load("node-drain", text => text.Replace("onFailure: Pause", "onFailure: Rollback", StringComparison.Ordinal));
        var result = Compilation.Run(validation, new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), new TemplateSet(null, Repository.Root));
        var campaign = CompiledCampaign.Of(result, Assert.Single(result.Graphs).Plan);
        await using var sim = await RunningSimulator.Start("node-drain");
        var world = sim.Host.World;
        // erp-db-0 fails for good (retries: 1).
        foreach (var _ in Enumerable.Range(0, 2))
        {
            sim.Host.Faults.Add(new JsonObject { ["type"] = "fail-migration", ["namespace"] = "erp", ["vmi"] = "erp-db-0" }, world.Clock.Now);
        }

        var gateways = sim.Gateways();
        var executor = new CampaignExecutor(campaign, gateways, "ber-1", () => world.Clock.Now, backoff: Backoff.Fixed);
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        DateTime WindowEnd(DateTime utc)
        {
            var local = TimeZoneInfo.ConvertTimeFromUtc(utc, berlin);
            return TimeZoneInfo.ConvertTimeToUtc(local.Date.AddDays(local.Hour >= 12 ? 1 : 0).AddHours(4.5), berlin);
        }

        var events = new List<string>();
        DateTime? finalFailure = null;
        var mostPerNode = 0;
        var mostInCluster = 0;
        PassResult pass;
        do
        {
            sim.Host.Engine.Tick();
            pass = await executor.PassAsync(CancellationToken.None);
            events.AddRange(pass.Events);
            var reversing = pass.Steps.Where(s => s.Id.StartsWith("rollback-", StringComparison.Ordinal) && s.Phase == StepPhase.Running)
                .Select(s => campaign.Graph.Steps.Single(g => "rollback-" + g.Id == s.Id)).ToList();
            mostInCluster = Math.Max(mostInCluster, reversing.Count);
            mostPerNode = Math.Max(mostPerNode, reversing.GroupBy(g => g.From!.Node).Select(n => n.Count()).DefaultIfEmpty(0).Max());
            if (finalFailure is null && events.Any(e => e.Contains("migrate-erp.erp-db-0 failed", StringComparison.Ordinal)) &&
                pass.Steps.Single(s => s.Id == "migrate-erp.erp-db-0").Phase == StepPhase.Running)
            {
                // The retry of erp-db-0 fails for good ten seconds before the nightly window closes: too late
                // for any reversal to fit; and the first reversal of grafana-0 fails as well.
                sim.Host.Faults.Add(new JsonObject { ["type"] = "fail-migration", ["namespace"] = "erp", ["vmi"] = "erp-db-0" }, world.Clock.Now);
                sim.Host.Faults.Add(new JsonObject { ["type"] = "fail-migration", ["namespace"] = "monitoring", ["vmi"] = "grafana-0" }, world.Clock.Now);
                world.Clock.Advance(WindowEnd(world.Clock.Now) - TimeSpan.FromSeconds(10) - world.Clock.Now);
                finalFailure = world.Clock.Now;
                continue;
            }

            world.Clock.Advance(pass.Steps.Any(s => s.Phase == StepPhase.Running) ? TimeSpan.FromSeconds(5) : TimeSpan.FromMinutes(10));
        }
        while (!(pass.Stalled && pass.Steps.Any(s => s.Id.StartsWith("rollback-", StringComparison.Ordinal)) &&
                 pass.Steps.Where(s => s.Id.StartsWith("rollback-", StringComparison.Ordinal)).All(s => s.Phase is StepPhase.Succeeded or StepPhase.Failed)) &&
               world.Clock.Now < campaign.Graph.Start.AddDays(5));

        Assert.NotNull(finalFailure);
        var reversals = events.Where(e => e.Contains(" started rollback-", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(reversals);

        foreach (var started in reversals)
        {
            var at = DateTime.Parse(started[..started.IndexOf(' ')], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            var local = TimeZoneInfo.ConvertTimeFromUtc(at, berlin).TimeOfDay;
            Assert.True(local >= new TimeSpan(22, 30, 0) || local < new TimeSpan(4, 30, 0), $"a reversal started outside the nightly window: {started}");
            var forward = started[(started.IndexOf("rollback-", StringComparison.Ordinal) + "rollback-".Length)..started.IndexOf(" (", StringComparison.Ordinal)];
            var needs = campaign.Graph.Steps.Single(s => s.Id == forward).Predicted.Seconds;
            Assert.True((WindowEnd(at) - at).TotalSeconds >= needs, $"{started}: {needs} s predicted, the window closes at {WindowEnd(at):HH:mm:ss}");
            Assert.True(at > finalFailure!.Value.AddHours(12), $"{started}: the window it failed in had no room left");
        }

        // parallelism: perCluster 4, perNode 2 (outbound from the node the VM left, inbound to it on the way back).
        Assert.InRange(mostInCluster, 1, 4);
        Assert.InRange(mostPerNode, 1, 2);
        Assert.Contains(events, e => e.Contains("rollback-migrate-monitoring.grafana-0 failed", StringComparison.Ordinal) && e.Contains("retrying after", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Contains("finished rollback-migrate-monitoring.grafana-0", StringComparison.Ordinal));
        Assert.Equal(2, pass.Steps.Single(s => s.Id == "rollback-migrate-monitoring.grafana-0").Attempts);
    }
}
