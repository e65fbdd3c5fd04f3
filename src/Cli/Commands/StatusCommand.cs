using System.CommandLine;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Facts;
using Reconcile.Reconciler.Execution;
using Spectre.Console;

namespace Reconcile.Cli.Commands;

/// <summary>
/// `reconcile status [--kubeconfig F] [--context C]`: each MigrationRun's progress, read from the
/// cluster that holds them: a table of runs, then a progress bar per stage.
/// </summary>
public sealed class StatusCommand(IOContext io)
{
    public static Command CreateCommand(IOContext io)
    {
        var cluster = new RunClusterOptions();
        var command = new Command("status", "Show each MigrationRun's progress: steps by phase, conditions, a bar per stage.");
        cluster.AddTo(command);
        command.SetAction((parse, cancel) => cluster.Resolve(parse, io) is { } target ? new StatusCommand(io).RunAsync(target, cancel) : Task.FromResult(ExitCodes.Usage));
        return command;
    }

    public async Task<int> RunAsync(RunClusterOptions.Target target, CancellationToken cancel)
    {
        var (context, ns) = (target.Context, target.Namespace);
        IReadOnlyList<JsonObject> runs;
        try
        {
            runs = await target.Gateway.ListAsync(CampaignExecutor.RunApiVersion, CampaignExecutor.RunKind, ns, null, cancel);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or k8s.Exceptions.KubeConfigException)
        {
            io.Error.WriteLine($"reconcile: cannot read MigrationRuns from {context}: {e.Message}");
            return ExitCodes.Errors;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(io.Out),
            Ansi = io.Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = io.Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = io.Interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (runs.Count == 0)
        {
            console.WriteLine($"No MigrationRuns in {ns} on {context}.");
            return ExitCodes.Success;
        }

        var table = new Table().AddColumns("Run", "Plan", "Revision", "Done", "Running", "Failed", "Ready", "Stalled", "Suspended");
        foreach (var run in runs)
        {
            var steps = Steps(run);
            var total = RunStepRecords.GraphSteps(run) ?? steps.Count(s => !Conventions.IsRollback(s.Id));
            table.AddRow(Cell(run["metadata"]!["name"]), Cell(run["spec"]?["plan"]), Cell(run["status"]?["observedRevision"]?.GetValue<string>() is { Length: > 12 } r ? r[..12] : run["status"]?["observedRevision"]),
                $"{steps.Count(s => s.IsDone && !Conventions.IsRollback(s.Id))}/{total}", steps.Count(s => s.Phase == StepPhase.Running).ToString(System.Globalization.CultureInfo.InvariantCulture),
                steps.Count(s => s.Phase == StepPhase.Failed).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Condition(run, "Ready"), Condition(run, "Stalled"), Condition(run, "Suspended"));
        }

        console.Write(table);
        foreach (var run in runs)
        {
            console.WriteLine();
            console.WriteLine($"{run["metadata"]!["name"]}: stages");
            foreach (var stage in RunStepRecords.ReadStages(run["status"]))
            {
                const int Width = 30;
                var filled = stage.Steps == 0 ? Width : stage.Done * Width / stage.Steps;
                console.WriteLine($"  {stage.Name,-10} [{new string('#', filled)}{new string('.', Width - filled)}] {stage.Done}/{stage.Steps} steps" +
                                  $"{(stage.Running > 0 ? $", {stage.Running} running" : "")}{(stage.Failed > 0 ? $", {stage.Failed} failed" : "")}");
            }

            foreach (var failed in Steps(run).Where(s => s.Phase == StepPhase.Failed || s.Message is not null && s.Phase == StepPhase.Pending))
            {
                console.WriteLine($"  {failed.Id}: {failed.Message}");
            }
        }

        return ExitCodes.Success;
    }

    private static IReadOnlyList<StepState> Steps(JsonObject run) => RunStepRecords.Read(run["status"]);

    private static string Condition(JsonObject run, string type) =>
        run["status"]?["conditions"]?.AsArray().FirstOrDefault(c => c?["type"]?.GetValue<string>() == type)?["status"]?.GetValue<string>() ?? "-";

    private static string Cell(JsonNode? node) => Markup.Escape(node?.ToString() ?? "-");
}
