using System.Text.RegularExpressions;
using Reconcile.Compiler;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// `kubectl get mrun` is useful on its own: the CRD's printer columns (Plan, Stage, Progress, Next window,
/// Ready; Revision with -o wide) over the status fields the reconciler writes, printed by the real kubectl
/// from the simulator's server-side table, which follows the CRD as an API server does.
/// </summary>
public sealed class RunPrinterColumnsTests
{
    [SkippableFact]
    public async Task Kubectl_get_mrun_shows_the_stage_progress_next_window_and_readiness()
    {
        var kubectl = ExternalTools.Require(ExternalTools.Kubectl(), "kubectl not installed: run .ci/install-tools (CI does)");
        var result = Compilation.Run(FrozenWorld.Load("node-drain"), new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), new TemplateSet(null, Repository.Root));
        var campaign = CompiledCampaign.Of(result, result.Graphs.Single().Plan);
        await using var sim = await RunningSimulator.Start("node-drain");
        var gateways = sim.Gateways();
        // Noon in Berlin: the nightly window (22:30 Europe/Berlin) is shut, so the migrations wait for 21:30 UTC.
        var noon = new DateTime(2026, 12, 1, 11, 0, 0, DateTimeKind.Utc);
        var executor = new CampaignExecutor(campaign, gateways, "ber-1", () => noon);
        var pass = await executor.PassAsync(CancellationToken.None);

        var (exit, output, error) = ExternalTools.Run(kubectl, ["--kubeconfig", sim.Kubeconfig, "--context", "ber-1", "get", "mrun", "-n", "reconcile-system"], 60_000);
        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+PLAN\s+STAGE\s+PROGRESS\s+NEXT WINDOW\s+READY\s+AGE$", lines[0]);
        var row = Regex.Match(lines[1], @"^(\S+)\s+(\S+)\s+(\S+)\s+(\d+)/(\d+)\s+(\S+)\s+(\S+)\s+\S+$");
        Assert.True(row.Success, lines[1]);
        Assert.Equal(executor.RunName, row.Groups[1].Value);
        Assert.Equal(campaign.Compiled.Name, row.Groups[2].Value);
        Assert.Equal(campaign.Graph.Stages[0].Id, row.Groups[3].Value);
        var counted = pass.Steps.Where(s => s.Kind != "gate" && !Compiler.Facts.Conventions.IsRollback(s.Id)).ToList();
        Assert.Equal(counted.Count(s => s.IsDone), int.Parse(row.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(counted.Count, int.Parse(row.Groups[5].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("2026-12-01T21:30:00Z", row.Groups[6].Value);
        Assert.Equal("False", row.Groups[7].Value);

        var wide = ExternalTools.Run(kubectl, ["--kubeconfig", sim.Kubeconfig, "--context", "ber-1", "get", "mrun", "-n", "reconcile-system", "-o", "wide"], 60_000);
        Assert.Matches(@"^NAME\s+PLAN\s+STAGE\s+PROGRESS\s+NEXT WINDOW\s+READY\s+REVISION\s+AGE$", wide.Out.Split('\n')[0]);

        // Inside the window nothing waits for one: no value, which the API server sends as a null cell and kubectl prints blank.
        var night = new CampaignExecutor(campaign, gateways, "ber-1", () => new DateTime(2026, 12, 1, 22, 0, 0, DateTimeKind.Utc));
        await night.PassAsync(CancellationToken.None);
        var again = ExternalTools.Run(kubectl, ["--kubeconfig", sim.Kubeconfig, "--context", "ber-1", "get", "mrun", "-n", "reconcile-system"], 60_000);
        Assert.Matches(@"^\S+\s+\S+\s+\S+\s+\d+/\d+\s+(True|False)\s+\S+$", again.Out.Split('\n')[1]);
    }
}
