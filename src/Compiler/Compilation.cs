using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Rendering;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler;

/// <summary>
/// Everything `compile` produces for a validated plan set: the graphs, the files of the output tree
/// (relative paths, sorted) and every diagnostic, sorted by position. Files are empty when anything
/// failed: an error never yields half an output. When the files went to a sink instead, Files is empty
/// and <see cref="FileCount"/> says how many there were; the sink's owner discards them on errors.
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

    /// <summary>How many files the compilation produced, in <see cref="Files"/> or into the sink.</summary>
    public int FileCount { get; init; }

    public bool HasErrors => Validation.HasInputProblem || Diagnostics.Any(d => d.IsError);
}

/// <summary>How far a compilation is: <paramref name="Done"/> of <paramref name="Total"/> units of <paramref name="Phase"/> ("plan" or "render", per plan).</summary>
public sealed record CompilationProgress(string Phase, string Plan, int Done, int Total);

/// <summary>Validation result in, graphs and rendered files out; the compiler's whole job, with no I/O.</summary>
public static class Compilation
{
    /// <summary>Plans every MigrationPlan of <paramref name="validation"/> at <paramref name="now"/>; renders when <paramref name="templates"/> is given.</summary>
    public static CompilationResult Run(ValidationResult validation, DateTime now, TemplateSet? templates, IProgress<CompilationProgress>? progress = null) =>
        Run(validation, now, templates, progress, sink: null);

    /// <summary>
    /// As <see cref="Run(ValidationResult, DateTime, TemplateSet?, IProgress{CompilationProgress}?)"/>, each file going to
    /// <paramref name="sink"/> as soon as it is rendered (the result's Files stay empty) when one is given.
    /// </summary>
    public static CompilationResult Run(ValidationResult validation, DateTime now, TemplateSet? templates, IProgress<CompilationProgress>? progress, IFileSink? sink)
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

        var collected = sink is null ? new FileCollection() : null;
        var counted = new CountingFileSink(sink ?? collected!);
        var compiled = new List<Execution.CompiledPlan>();
        if (templates is not null && !diagnostics.Any(d => d.IsError))
        {
            foreach (var (graph, index) in graphs.Select((g, i) => (g, i)))
            {
                progress?.Report(new CompilationProgress("render", graph.Plan, index, graphs.Count));
                var plan = validation.Model.Plans.First(p => p.Name == graph.Plan);
                var prefix = Facts.Conventions.PlanPrefix(graphs.Count, graph.Plan);
                var files = prefix.Length == 0 ? (IFileSink)counted : new PrefixedFileSink(counted, prefix);
                var rendered = new ManifestRenderer(templates).Render(graph, PlanScope.Create(plan, validation.Model), files);
                diagnostics.AddRange(rendered.Diagnostics);
                compiled.Add(new Execution.CompiledPlan(graph, Execution.RunPolicy.Of(plan, validation.Model), rendered.Manifests, plan.Moves, prefix));
                AddGraphFiles(files, graph, plan.Suspend);
                files.Add("report.html", Text(html => Reporting.ReportWriter.Html(graph, plan, html)));
            }
        }

        progress?.Report(new CompilationProgress("done", "", plans, plans));
        var sorted = diagnostics.Distinct().OrderBy(d => d.Location).ThenBy(d => d.Code, StringComparer.Ordinal).ToList();
        var failed = validation.HasInputProblem || sorted.Any(d => d.IsError);
        var held = failed || collected is null ? new SortedDictionary<string, string>(StringComparer.Ordinal) : collected.Files;
        return new CompilationResult(validation, graphs, held, sorted) { Plans = failed ? [] : compiled, FileCount = failed ? 0 : counted.Count };
    }

    /// <summary>graph.json, graph.dot, graph.mmd and summary.txt of one graph.</summary>
    public static void AddGraphFiles(IFileSink files, ExecutionGraph graph, bool suspended)
    {
        files.Add("graph.json", stream => GraphWriter.Json(graph, stream));
        files.Add("graph.dot", Text(text => GraphWriter.Dot(graph, text)));
        files.Add("graph.mmd", Text(text => GraphWriter.Mermaid(graph, text)));
        files.Add("summary.txt", Text(text => GraphWriter.Summary(graph, suspended, text)));
    }

    /// <summary>A file written as text (UTF-8, no byte order mark) straight into the sink's stream.</summary>
    private static Action<Stream> Text(Action<TextWriter> write) => stream =>
    {
        using var text = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        write(text);
    };

    private sealed class CountingFileSink(IFileSink inner) : IFileSink
    {
        private int count;

        public int Count => count;

        public void Add(string path, string content)
        {
            inner.Add(path, content);
            Interlocked.Increment(ref count);
        }

        public void Add(string path, Action<Stream> write)
        {
            inner.Add(path, write);
            Interlocked.Increment(ref count);
        }
    }
}
