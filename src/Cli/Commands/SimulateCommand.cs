using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Reconcile.Cli.Simulation;
using Reconcile.Compiler;
using Reconcile.Compiler.Formatting;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Cli.Commands;

/// <summary>
/// `reconcile simulate PATH [--now T] [--seed N] [--fault F]...`: compiles the plan, starts the
/// simulator with the plan's world, runs the reconciler against it to the end in simulated time, and
/// prints the timeline with predicted and simulated figures.
/// </summary>
public sealed class SimulateCommand(IOContext io, Func<DateTime> clock)
{
    public sealed record Arguments(IReadOnlyList<string> Paths, string? Now, int Seed, IReadOnlyList<string> Faults, string? Templates = null);

    public static Command CreateCommand(IOContext io, Func<DateTime> clock)
    {
        var paths = new Argument<string[]>("path") { Description = "Plan files or directories (Topology, Inventories, MigrationPlan).", Arity = ArgumentArity.OneOrMore };
        var now = new Option<string>("--now") { Description = "Plan and start the simulated clock at this UTC time (RFC 3339); default: the current minute." };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulated dirty-rate noise.", DefaultValueFactory = _ => 1 };
        var fault = new Option<string[]>("--fault") { Description = "A fault to inject, as for `simulator serve` (repeatable)." };
        var templates = new Option<string>("--templates") { Description = "Directory whose files override the default templates (default: a templates/ folder in the plans' directory), as for compile." };
        var command = new Command("simulate", "Run the plan through the reconciler against simulated clusters, in simulated time, and compare with the prediction.") { paths, now, seed, fault, templates };
        command.SetAction((parse, cancel) => new SimulateCommand(io, clock).RunAsync(new Arguments(parse.GetValue(paths) ?? [], parse.GetValue(now), parse.GetValue(seed), parse.GetValue(fault) ?? [], parse.GetValue(templates)), cancel));
        return command;
    }

    public async Task<int> RunAsync(Arguments arguments, CancellationToken cancel)
    {
        if (PlanPipeline.Arguments(arguments.Paths, arguments.Now, clock, io) is not { } now)
        {
            return ExitCodes.Usage;
        }

        var faults = arguments.Faults.Select(Simulator.Faults.Parse).ToList();
        if (faults.Select(Simulator.Faults.Problem).FirstOrDefault(p => p is not null) is { } problem)
        {
            io.Error.WriteLine($"reconcile: --fault: {problem}");
            return ExitCodes.Usage;
        }

        if (arguments.Templates is { } dir && !Directory.Exists(Path.GetFullPath(dir, io.CurrentDirectory)))
        {
            io.Error.WriteLine($"reconcile: --templates '{dir}' is not a directory");
            return ExitCodes.Usage;
        }

        var run = PlanPipeline.Run(arguments.Paths, now, io, "simulate", TemplateSet.For(arguments.Paths, arguments.Templates, io.CurrentDirectory));
        io.Out.Write(DiagnosticRenderer.Text(run.Diagnostics));
        if (run.HasErrors)
        {
            return PlanPipeline.ExitCode(run);
        }

        if (run.Graphs.Count == 0)
        {
            io.Error.WriteLine("reconcile: the paths hold no MigrationPlan to simulate");
            return ExitCodes.Usage;
        }

        var exit = ExitCodes.Success;
        foreach (var graph in run.Graphs)
        {
            var campaign = CompiledCampaign.Of(run, graph.Plan);
            var report = await ProgressDisplay.Run(io, "simulate", display => SimulationRunner.RunAsync(run.Validation, campaign, arguments.Seed, faults,
                new InlineProgress<string>(e => display.Report("campaign", $"{graph.Plan}: {e}", 0, 0)), cancel));
            io.Out.Write(Render(report));
            if (!report.Completed)
            {
                exit = ExitCodes.Errors;
            }
        }

        return exit;
    }

    public static string Render(SimulationReport report)
    {
        var graph = report.Graph;
        var text = new StringBuilder();
        text.Append($"Simulated {graph.Plan}: {(report.Completed ? "completed" : report.Stalled ? "STALLED" : "did not finish")}\n");
        text.Append($"Start     {Time(graph.Start)}\n");
        text.Append($"Makespan  predicted {Quantities.FormatSeconds(graph.MakespanSeconds)}, simulated {Quantities.FormatDuration(report.Makespan)}\n");
        text.Append($"Migrations created {report.MigrationsCreated} for {graph.Steps.Count(s => s.Kind == StepKind.Migrate)} migrate steps " +
                    $"({report.Steps.Where(s => s.Step.Kind == StepKind.Migrate).Sum(s => s.Attempts)} attempts)\n");
        foreach (var (cluster, (max, limit)) in report.ClusterConcurrency.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            text.Append($"Cluster {cluster,-16} at most {max} data-moving steps at once (limit {limit})\n");
        }

        foreach (var (link, (max, limit)) in report.LinkConcurrency.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            text.Append($"Link    {link,-16} at most {max} at once (limit {limit})\n");
        }

        text.Append("\nMigrations\n  VM                              mode            predicted start .. end                      simulated start .. end                      phase      predicted  simulated\n");
        var off = 0;
        foreach (var timing in report.Steps.Where(s => s.Step.Kind == StepKind.Migrate).OrderBy(s => s.Start ?? DateTime.MaxValue).ThenBy(s => s.Step.Id, StringComparer.Ordinal))
        {
            var predicted = TimeSpan.FromSeconds(timing.Step.Predicted.Seconds);
            var simulated = timing.Start is { } start && timing.End is { } end ? end - start : (TimeSpan?)null;
            // More than 20% apart is worth a look (issue 12's bar); a short step is judged with a minute's slack for the reconciler's passes.
            var flagged = simulated is { } s2 && Math.Abs((s2 - predicted).TotalSeconds) > Math.Max(60, 0.2 * predicted.TotalSeconds);
            off += flagged ? 1 : 0;
            var mode = timing.Step.Predicted.Transfer is { } transfer ? GraphWriter.ModeName(transfer.Mode) : "";
            text.Append($"  {timing.Step.Vm,-31} {mode,-15} {Time(timing.Step.PlannedStart)} .. {Time(timing.Step.PlannedEnd)}  {Time(timing.Start)} .. {Time(timing.End)}  {timing.Phase,-10} " +
                        $"{Quantities.FormatDuration(predicted),9}  {(simulated is { } d ? Quantities.FormatDuration(d) : "-"),9}{(flagged ? "  OFF BY " + Percent(simulated!.Value, predicted) : "")}\n");
        }

        if (off > 0)
        {
            text.Append($"{off} migration(s) took more than 20% longer or shorter than predicted\n");
        }

        static bool Notable(string e) => e.Contains("failed", StringComparison.Ordinal) || e.Contains("cancelled", StringComparison.Ordinal) || e.Contains("rollback-", StringComparison.Ordinal);
        if (report.Events.Any(Notable))
        {
            text.Append("\nEvents\n");
            foreach (var e in report.Events.Where(Notable))
            {
                text.Append("  ").Append(e).Append('\n');
            }
        }

        return text.Append('\n').ToString();
    }

    private static string Percent(TimeSpan simulated, TimeSpan predicted) =>
        predicted <= TimeSpan.Zero ? "n/a" : ((simulated.TotalSeconds / predicted.TotalSeconds - 1) * 100).ToString("+0;-0", System.Globalization.CultureInfo.InvariantCulture) + "%";

    private static string Time(DateTime? time) => time is { } t ? GraphWriter.Time(t) : "-                   ";
}
