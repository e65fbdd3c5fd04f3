using System.Globalization;
using Reconcile.Compiler;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Planning;

namespace Reconcile.Cli;

/// <summary>What `plan` and `compile` share: parse --now, validate, plan every MigrationPlan.</summary>
public sealed record PlanPipelineResult(ValidationResult Validation, IReadOnlyList<ExecutionGraph> Graphs, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool HasErrors => Validation.HasInputProblem || Diagnostics.Any(d => d.IsError);

    public int ExitCode => Validation.HasInputProblem ? ExitCodes.Usage : HasErrors ? ExitCodes.Errors : ExitCodes.Success;
}

public static class PlanPipeline
{
    /// <summary>
    /// The checks `plan` and `compile` make before any work: no unknown option hiding among the paths,
    /// and a usable --now. Returns the anchor time, or null after writing the usage error.
    /// </summary>
    public static DateTime? Arguments(IReadOnlyList<string> paths, string? now, Func<DateTime> clock, IOContext io)
    {
        if (!PathsAreUsable(paths, io))
        {
            return null;
        }

        var parsed = ParseNow(now, clock);
        if (parsed is null)
        {
            io.Error.WriteLine($"reconcile: --now '{now}' is not an RFC 3339 time such as 2026-12-05T00:00:00Z");
        }

        return parsed;
    }

    /// <summary>
    /// Unknown options reach a variadic argument in System.CommandLine, and an empty path would mean
    /// the current directory: both are usage errors, reported here.
    /// </summary>
    public static bool PathsAreUsable(IReadOnlyList<string> paths, IOContext io)
    {
        if (paths.FirstOrDefault(p => p.StartsWith('-')) is { } option)
        {
            io.Error.WriteLine($"reconcile: unknown option '{option}' (write ./{option} for a path that starts with '-')");
            return false;
        }

        if (paths.Any(string.IsNullOrWhiteSpace))
        {
            io.Error.WriteLine("reconcile: a path is empty; give a plan file or a directory");
            return false;
        }

        return true;
    }

    /// <summary>--now as given, or the current minute (UTC); null when the text is not a time.</summary>
    public static DateTime? ParseNow(string? text, Func<DateTime> clock)
    {
        if (text is null)
        {
            var current = clock();
            return new DateTime(current.Year, current.Month, current.Day, current.Hour, current.Minute, 0, DateTimeKind.Utc);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed.UtcDateTime : null;
    }

    /// <summary>graph.json, graph.dot, graph.mmd and summary.txt of one graph, under <paramref name="prefix"/>.</summary>
    public static void AddGraphFiles(Dictionary<string, string> files, string prefix, ExecutionGraph graph, bool suspended)
    {
        files[prefix + "graph.json"] = GraphWriter.Json(graph);
        files[prefix + "graph.dot"] = GraphWriter.Dot(graph);
        files[prefix + "graph.mmd"] = GraphWriter.Mermaid(graph);
        files[prefix + "summary.txt"] = GraphWriter.Summary(graph, suspended);
    }

    public static PlanPipelineResult Run(IReadOnlyList<string> paths, DateTime now, string currentDirectory)
    {
        var validation = PlanValidator.Validate(paths, currentDirectory);
        var diagnostics = new List<Diagnostic>(validation.Diagnostics);
        var graphs = new List<ExecutionGraph>();
        if (!validation.HasErrors)
        {
            foreach (var plan in validation.Model.Plans.OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                var result = Planner.Plan(plan, validation.Model, now, validation.Digest);
                diagnostics.AddRange(result.Diagnostics);
                if (result.Graph is { } graph)
                {
                    graphs.Add(graph with { Diagnostics = [.. validation.Diagnostics, .. result.Diagnostics] });
                }
            }
        }

        var sorted = diagnostics.Distinct().OrderBy(d => d.Location).ThenBy(d => d.Code, StringComparer.Ordinal).ToList();
        return new PlanPipelineResult(validation, graphs, sorted);
    }
}
