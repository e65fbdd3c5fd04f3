using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Reconcile.Cli.Status;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Cli.Commands;

/// <summary>
/// `reconcile status [-o text|json|yaml] [--watch] [--utc]`: each MigrationRun's progress, read from the
/// cluster that holds them: a table of runs, then per run its stages planned against actual, the ETA and
/// the next window (StatusText); or one document for all runs (StatusDocument). --watch reads again every
/// --interval until interrupted.
/// </summary>
public sealed class StatusCommand(IOContext io, Func<DateTime> clock)
{
    public sealed record Arguments(string Output, bool Watch, TimeSpan Interval, bool Utc);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly JsonSerializerOptions OneLine = new() { WriteIndented = false };

    public static Command CreateCommand(IOContext io, Func<DateTime> clock)
    {
        var cluster = new RunClusterOptions();
        var output = new Option<string>("--output", "-o") { Description = "Output format: text, json or yaml.", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json", "yaml");
        var watch = new Option<bool>("--watch", "-w") { Description = "Read the runs again every --interval until interrupted." };
        var interval = new Option<int>("--interval") { Description = "Seconds between reads with --watch.", DefaultValueFactory = _ => 5 };
        var utc = new Option<bool>("--utc") { Description = "Show times in UTC instead of each plan's window time zone." };
        var command = new Command("status", "Show each MigrationRun's progress: stages planned against actual, ETA, next window.") { output, watch, interval, utc };
        cluster.AddTo(command);
        command.SetAction((parse, cancel) => cluster.Resolve(parse, io) is { } target
            ? new StatusCommand(io, clock).RunAsync(target, new Arguments(parse.GetValue(output)!, parse.GetValue(watch), TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(interval))), parse.GetValue(utc)), cancel)
            : Task.FromResult(ExitCodes.Usage));
        return command;
    }

    public async Task<int> RunAsync(RunClusterOptions.Target target, Arguments arguments, CancellationToken cancel)
    {
        for (var frame = 0; ; frame++)
        {
            IReadOnlyList<JsonObject> runs;
            try
            {
                runs = await target.Gateway.ListAsync(CampaignExecutor.RunApiVersion, CampaignExecutor.RunKind, target.Namespace, null, cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
            catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or k8s.Exceptions.KubeConfigException)
            {
                io.Error.WriteLine($"reconcile: cannot read MigrationRuns from {target.Context}: {e.Message}");
                return ExitCodes.Errors;
            }

            Show(target, arguments, runs, frame);
            if (!arguments.Watch)
            {
                return ExitCodes.Success;
            }

            try
            {
                await Task.Delay(arguments.Interval, cancel);
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Success;
            }
        }
    }

    private void Show(RunClusterOptions.Target target, Arguments arguments, IReadOnlyList<JsonObject> runs, int frame)
    {
        var now = clock();
        var summaries = runs.Select(r => RunSummary.Of(r, now)).ToList();
        switch (arguments.Output)
        {
            case "json":
                // Watched, one document per line (as kubectl get -w -o json streams objects); else indented.
                io.Out.WriteLine(StatusDocument.Of(target.Context, target.Namespace, now, summaries).ToJsonString(arguments.Watch ? OneLine : Indented));
                return;
            case "yaml":
                io.Out.Write((frame > 0 ? "---\n" : "") + StatusDocument.Yaml(StatusDocument.Of(target.Context, target.Namespace, now, summaries)));
                return;
        }

        if (arguments.Watch && frame > 0)
        {
            // A terminal redraws in place; a pipe or log gets the frames one after another.
            io.Out.Write(io.Interactive ? "\u001b[H\u001b[2J" : "\n");
        }

        if (summaries.Count == 0)
        {
            io.Out.WriteLine($"No MigrationRuns in {target.Namespace} on {target.Context}.");
            return;
        }

        StatusText.Write(io, summaries, arguments.Utc);
    }
}
