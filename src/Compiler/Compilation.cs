using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Rendering;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler;

/// <summary>
/// Everything `compile` produces for a validated plan set: the graphs, the files of the output tree
/// (relative paths, sorted) and every diagnostic, sorted by position. Files are empty when anything
/// failed: an error never yields half an output.
/// </summary>
public sealed record CompilationResult(
    ValidationResult Validation,
    IReadOnlyList<ExecutionGraph> Graphs,
    IReadOnlyDictionary<string, string> Files,
    IReadOnlyList<Diagnostic> Diagnostics)
{
    /// <summary>Per plan, what the reconciler executes (empty unless rendered without errors).</summary>
    public IReadOnlyList<Execution.CompiledPlan> Plans { get; init; } = [];

    public Execution.CompiledPlan Plan(string name) => Plans.First(p => p.Name == name);

    public bool HasErrors => Validation.HasInputProblem || Diagnostics.Any(d => d.IsError);
}

/// <summary>How far a compilation is: <paramref name="Done"/> of <paramref name="Total"/> units of <paramref name="Phase"/> ("plan" or "render", per plan).</summary>
public sealed record CompilationProgress(string Phase, string Plan, int Done, int Total);

/// <summary>Validation result in, graphs and rendered files out; the compiler's whole job, with no I/O.</summary>
public static class Compilation
{
    /// <summary>Plans every MigrationPlan of <paramref name="validation"/> at <paramref name="now"/>; renders when <paramref name="templates"/> is given.</summary>
    public static CompilationResult Run(ValidationResult validation, DateTime now, TemplateSet? templates, IProgress<CompilationProgress>? progress = null)
    {
        var plans = validation.Model.Plans.Length;
        var diagnostics = new List<Diagnostic>(validation.Diagnostics);
        var graphs = new List<ExecutionGraph>();
        if (!validation.HasErrors)
        {
            foreach (var (plan, index) in validation.Model.Plans.OrderBy(p => p.Name, StringComparer.Ordinal).Select((p, i) => (p, i)))
            {
                progress?.Report(new CompilationProgress("plan", plan.Name, index, plans));
                var result = Planner.Plan(plan, validation.Model, now, validation.Digest);
                diagnostics.AddRange(result.Diagnostics);
                if (result.Graph is { } graph)
                {
                    graphs.Add(graph with { Diagnostics = [.. validation.Diagnostics, .. result.Diagnostics] });
                }
            }
        }

        if (templates is not null)
        {
            diagnostics.AddRange(templates.Refusals());
        }

        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var compiled = new List<Execution.CompiledPlan>();
        if (templates is not null && !diagnostics.Any(d => d.IsError))
        {
            foreach (var (graph, index) in graphs.Select((g, i) => (g, i)))
            {
                progress?.Report(new CompilationProgress("render", graph.Plan, index, graphs.Count));
                var plan = validation.Model.Plans.First(p => p.Name == graph.Plan);
                var prefix = Facts.Conventions.PlanPrefix(graphs.Count, graph.Plan);
                var rendered = new ManifestRenderer(templates).Render(graph, PlanScope.Create(plan, validation.Model));
                diagnostics.AddRange(rendered.Diagnostics);
                compiled.Add(new Execution.CompiledPlan(graph, Execution.RunPolicy.Of(plan, validation.Model), rendered.Manifests, plan.Moves, prefix));
                foreach (var file in rendered.Files)
                {
                    files[prefix + file.Path] = file.Content;
                }

                AddGraphFiles(files, prefix, graph, plan.Suspend);
                files[prefix + "report.html"] = Reporting.ReportWriter.Html(graph, plan);
            }
        }

        progress?.Report(new CompilationProgress("done", "", plans, plans));
        var sorted = diagnostics.Distinct().OrderBy(d => d.Location).ThenBy(d => d.Code, StringComparer.Ordinal).ToList();
        var failed = validation.HasInputProblem || sorted.Any(d => d.IsError);
        return new CompilationResult(validation, graphs, failed ? new SortedDictionary<string, string>(StringComparer.Ordinal) : files, sorted) { Plans = failed ? [] : compiled };
    }

    /// <summary>graph.json, graph.dot, graph.mmd and summary.txt of one graph, under <paramref name="prefix"/>.</summary>
    public static void AddGraphFiles(IDictionary<string, string> files, string prefix, ExecutionGraph graph, bool suspended)
    {
        files[prefix + "graph.json"] = GraphWriter.Json(graph);
        files[prefix + "graph.dot"] = GraphWriter.Dot(graph);
        files[prefix + "graph.mmd"] = GraphWriter.Mermaid(graph);
        files[prefix + "summary.txt"] = GraphWriter.Summary(graph, suspended);
    }
}
