using System.Text.Json.Nodes;
using Reconcile.Cli;
using Reconcile.Compiler;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// `reconcile status` against the simulator after a real reconciler pass: -o json and -o yaml give one
/// document with the planned stages compile wrote into the run, text is plain columns off a terminal with
/// times in the plan's zone (or UTC), and --watch reads again until interrupted.
/// </summary>
public sealed class StatusCommandTests
{
    private static (int Exit, string Out, string Error) Status(RunningSimulator sim, DateTime now, CancellationToken cancel, params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exit = Program.Run(["status", "--kubeconfig", sim.Kubeconfig, "--context", "ber-1", .. args], new IOContext(output, error, Repository.Root), () => now, cancel);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Status_prints_one_document_plain_columns_zoned_times_and_watches_until_interrupted()
    {
        var result = Compilation.Run(FrozenWorld.Load("node-drain"), new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), new TemplateSet(null, Repository.Root));
        var campaign = CompiledCampaign.Of(result, result.Graphs.Single().Plan);
        await using var sim = await RunningSimulator.Start("node-drain");
        var gateways = sim.Gateways();
        var executor = new CampaignExecutor(campaign, gateways, "ber-1", () => sim.Host.World.Clock.Now);
        await executor.PassAsync(CancellationToken.None);
        var now = sim.Host.World.Clock.Now;

        var json = Status(sim, now, CancellationToken.None, "-o", "json");
        Assert.True(json.Exit == 0, json.Error);
        var document = JsonNode.Parse(json.Out)!;
        Assert.Equal("RunStatusList", document["kind"]!.GetValue<string>());
        var run = document["runs"]!.AsArray().Single()!;
        Assert.Equal(campaign.Compiled.Name, run["plan"]!.GetValue<string>());
        Assert.Equal("Europe/Berlin", run["timeZone"]!.GetValue<string>());
        var counted = campaign.Graph.Steps.Where(s => s.Kind != StepKind.Gate).ToList();
        Assert.Equal(counted.Count, run["steps"]!["total"]!.GetValue<int>());
        foreach (var stage in run["stages"]!.AsArray())
        {
            var planned = counted.Where(s => s.Stage == stage!["name"]!.GetValue<string>()).ToList();
            Assert.Equal(planned.Min(s => s.PlannedStart).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), stage!["plannedStart"]!.GetValue<string>());
            Assert.Equal(planned.Max(s => s.PlannedEnd).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), stage["plannedEnd"]!.GetValue<string>());
        }

        // YAML says the same, field for field.
        var yaml = Status(sim, now, CancellationToken.None, "-o", "yaml");
        var documents = new List<PlanDocument>();
        var problems = new List<Diagnostic>();
        PlanLoader.LoadText("status.yaml", yaml.Out, documents, problems);
        Assert.True(documents.Count == 1, yaml.Out + string.Join("\n", problems));
        Assert.Equal(document.ToJsonString(), documents[0].Root!.ToJsonString());

        // Off a terminal: plain columns, no box drawing; times in the plan's zone, or UTC.
        var text = Status(sim, now, CancellationToken.None);
        Assert.Matches(@"^RUN\s+PLAN\s+REVISION\s+PROGRESS\s+RUNNING\s+FAILED\s+READY\s+STALLED\s+SUSPENDED\s+ETA\n", text.Out);
        Assert.DoesNotContain("│", text.Out, StringComparison.Ordinal);
        Assert.Contains($"{campaign.Compiled.Name}: stages (times Europe/Berlin)", text.Out, StringComparison.Ordinal);
        Assert.Matches(@"planned \d{4}-\d\d-\d\d \d\d:\d\d \+01:00", text.Out);
        var utc = Status(sim, now, CancellationToken.None, "--utc");
        Assert.Contains("(times UTC)", utc.Out, StringComparison.Ordinal);
        Assert.Matches(@"planned \d{4}-\d\d-\d\d \d\d:\d\d \+00:00", utc.Out);

        // --watch reads again every interval, and an interrupt ends it cleanly.
        using var interrupt = new CancellationTokenSource(TimeSpan.FromSeconds(2.5));
        var watched = Status(sim, now, interrupt.Token, "--watch", "--interval", "1");
        Assert.Equal(0, watched.Exit);
        Assert.True(watched.Out.Split('\n').Count(l => l.StartsWith("RUN ", StringComparison.Ordinal)) >= 2, watched.Out);
    }
}
