using System.CommandLine;
using Reconcile.Compiler;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Formatting;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Rendering;

namespace Reconcile.Cli.Commands;

/// <summary>`reconcile plan PATH... [--now T] [--out-dir DIR] [-o text|json]`: validate, then schedule.</summary>
public sealed class PlanCommand(IOContext io, Func<DateTime> clock)
{
    public sealed record Arguments(IReadOnlyList<string> Paths, string? Now, string? Out, string Format);

    public static Command CreateCommand(IOContext io, Func<DateTime> clock)
    {
        var paths = new Argument<string[]>("path") { Description = "Plan files or directories.", Arity = ArgumentArity.OneOrMore };
        var now = new Option<string>("--now") { Description = "Plan as if it were this UTC time (RFC 3339); default: the current minute." };
        var output = new Option<string>("--out-dir", "--out") { Description = "Write graph.json, graph.dot and graph.mmd to this directory (replaced as a whole)." };
        // -o is the output format, as in kubectl; --format and -f stay as aliases.
        var format = new Option<string>("--output", "-o", "--format", "-f") { Description = "text: the summary; json: graph.json on stdout (several plans: one ExecutionGraphList).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("plan", "Validate the plan, then compute its staged execution graph and predicted timeline.") { paths, now, output, format };
        command.SetAction(parse => new PlanCommand(io, clock).Run(new Arguments(parse.GetValue(paths) ?? [], parse.GetValue(now), parse.GetValue(output), parse.GetValue(format) ?? "text")));
        return command;
    }

    public int Run(Arguments arguments)
    {
        if (PlanPipeline.Arguments(arguments.Paths, arguments.Now, clock, io) is not { } now)
        {
            return ExitCodes.Usage;
        }

        var run = PlanPipeline.Run(arguments.Paths, now, io.CurrentDirectory);
        var validation = run.Validation;
        var graphs = run.Graphs;
        var sorted = run.Diagnostics;
        if (run.HasErrors)
        {
            io.Out.Write(DiagnosticRenderer.Text(sorted));
            return PlanPipeline.ExitCode(run);
        }

        if (validation.Model.Plans.IsEmpty)
        {
            io.Error.WriteLine("reconcile: the paths hold no MigrationPlan to plan");
            return ExitCodes.Usage;
        }

        if (arguments.Out is { } directory)
        {
            var files = new FileCollection();
            foreach (var graph in graphs)
            {
                var into = graphs.Count == 1 ? (IFileSink)files : new PrefixedFileSink(files, graph.Plan + "/");
                Compilation.AddGraphFiles(into, graph, validation.Model.Plans.First(p => p.Name == graph.Plan).Suspend);
            }

            if (OutputDirectory.TryReplace(Path.GetFullPath(directory, io.CurrentDirectory), files.Files, arguments.Paths.Select(p => Path.GetFullPath(p, io.CurrentDirectory))) is { } problem)
            {
                io.Error.WriteLine($"reconcile: {problem}");
                return ExitCodes.Usage;
            }
        }

        if (arguments.Format == "json" && graphs.Count > 1)
        {
            // Several plans are one JSON document, as kubectl prints a List, so a single parser reads them all.
            var list = new System.Text.Json.Nodes.JsonObject
            {
                ["apiVersion"] = "migration.reconcile.dev/v1alpha1",
                ["kind"] = "ExecutionGraphList",
                ["items"] = new System.Text.Json.Nodes.JsonArray([.. graphs.Select(g => System.Text.Json.Nodes.JsonNode.Parse(GraphWriter.Json(g)))]),
            };
            io.Out.WriteLine(list.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            foreach (var graph in graphs)
            {
                io.Out.Write(arguments.Format == "json"
                    ? GraphWriter.Json(graph)
                    : GraphWriter.Summary(graph, validation.Model.Plans.First(p => p.Name == graph.Plan).Suspend) + "\n");
            }
        }

        if (arguments.Format == "text")
        {
            io.Out.Write(DiagnosticRenderer.Text(sorted));
        }
        else
        {
            io.Error.WriteLine(DiagnosticRenderer.Summary(sorted));
        }

        return ExitCodes.Success;
    }
}
