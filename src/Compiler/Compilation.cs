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

    /// <summary>Per plan, what a later compilation may take over (<see cref="Compilation.Run(ValidationResult, DateTime, TemplateSet?, IProgress{CompilationProgress}?, IFileSink?, CompilationResult?)"/>).</summary>
    public IReadOnlyDictionary<string, ReusablePlan> Reusable { get; init; } = new Dictionary<string, ReusablePlan>();

    /// <summary>The plans taken over from the earlier compilation rather than planned and rendered again.</summary>
    public IReadOnlyList<string> Reused { get; init; } = [];

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
    /// <paramref name="sink"/> as soon as it is rendered (the result's Files stay empty) when one is given. A plan
    /// whose inputs are those of one in <paramref name="previous"/> (<see cref="PlanInputs.Key"/>) is not planned or
    /// rendered again: its graph, manifests and files are taken over, with this revision's digest and validation
    /// diagnostics, and its run/ rendered again. A result kept in memory (no sink) offers its plans for that.
    /// </summary>
    public static CompilationResult Run(ValidationResult validation, DateTime now, TemplateSet? templates, IProgress<CompilationProgress>? progress, IFileSink? sink, CompilationResult? previous = null)
    {
        var plans = validation.Model.Plans.Length;
        var diagnostics = new List<Diagnostic>(validation.Diagnostics);
        var graphs = new List<(ExecutionGraph Graph, string? Key, ReusablePlan? Earlier)>();
        var earlierPlans = previous is { HasErrors: false } ? previous.Reusable : new Dictionary<string, ReusablePlan>();
        var templateIdentity = templates?.Identity;
        if (!validation.HasErrors)
        {
            foreach (var (plan, index) in validation.Model.Plans.OrderBy(p => p.Name, StringComparer.Ordinal).Select((p, i) => (p, i)))
            {
                progress?.Report(new CompilationProgress("plan", plan.Name, index, plans));
                var key = PlanInputs.Key(plan, validation.Model, templateIdentity, Facts.Conventions.PlanPrefix(plans, plan.Name));
                var earlier = key is not null && earlierPlans.TryGetValue(plan.Name, out var found) && found.Key == key ? found : null;
                var result = earlier is null ? Planner.Plan(plan, validation.Model, now, validation.Digest) : new PlanResult(earlier.Planned, earlier.Planned.Diagnostics);
                diagnostics.AddRange(result.Diagnostics);
                if (result.Graph is { } graph)
                {
                    graphs.Add((graph with { Digest = validation.Digest, Diagnostics = [.. validation.Diagnostics, .. result.Diagnostics] }, key, earlier));
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
        var reusable = new Dictionary<string, ReusablePlan>(StringComparer.Ordinal);
        if (templates is not null && !diagnostics.Any(d => d.IsError))
        {
            foreach (var ((graph, key, earlier), index) in graphs.Select((g, i) => (g, i)))
            {
                progress?.Report(new CompilationProgress("render", graph.Plan, index, graphs.Count));
                var plan = validation.Model.Plans.First(p => p.Name == graph.Plan);
                var prefix = Facts.Conventions.PlanPrefix(graphs.Count, graph.Plan);
                var files = prefix.Length == 0 ? (IFileSink)counted : new PrefixedFileSink(counted, prefix);
                var scope = PlanScope.Create(plan, validation.Model);
                var (manifests, next) = RenderPlan(graph, key, earlier, scope, templates, files, record: collected is not null, validation.Diagnostics.Count, diagnostics);
                if (next is not null)
                {
                    reusable[graph.Plan] = next;
                }

                compiled.Add(new Execution.CompiledPlan(graph, Execution.RunPolicy.Of(scope), manifests, plan.Moves, prefix));
                AddGraphFiles(files, graph, plan.Suspend);
                files.Add("report.html", Text(html => Reporting.ReportWriter.Html(graph, plan, html)));
            }
        }

        progress?.Report(new CompilationProgress("done", "", plans, plans));
        var sorted = diagnostics.Distinct().OrderBy(d => d.Location).ThenBy(d => d.Code, StringComparer.Ordinal).ToList();
        var failed = validation.HasInputProblem || sorted.Any(d => d.IsError);
        var held = failed || collected is null ? new SortedDictionary<string, string>(StringComparer.Ordinal) : collected.Files;
        return new CompilationResult(validation, [.. graphs.Select(g => g.Graph)], held, sorted)
        {
            Plans = failed ? [] : compiled,
            FileCount = failed ? 0 : counted.Count,
            Reusable = failed ? new Dictionary<string, ReusablePlan>() : reusable,
            Reused = failed ? [] : [.. graphs.Where(g => g.Earlier is not null).Select(g => g.Graph.Plan)],
        };
    }

    /// <summary>
    /// One plan's manifests into <paramref name="files"/>: taken over from <paramref name="earlier"/> (its run/
    /// rendered again), or rendered, and then offered for reuse when <paramref name="record"/> and a key allow.
    /// </summary>
    private static (IReadOnlyDictionary<string, Execution.StepManifest> Manifests, ReusablePlan? Reusable) RenderPlan(
        ExecutionGraph graph, string? key, ReusablePlan? earlier, PlanScope scope, TemplateSet templates, IFileSink files, bool record, int validationDiagnostics, List<Diagnostic> diagnostics)
    {
        var renderer = new ManifestRenderer(templates);
        if (earlier is not null)
        {
            foreach (var (path, content) in earlier.Files)
            {
                files.Add(path, content);
            }

            diagnostics.AddRange([.. earlier.RenderDiagnostics, .. renderer.RenderRunOnly(graph, scope, files)]);
            return (earlier.Manifests, earlier);
        }

        var recorder = record && key is not null ? new RecordingFileSink(files) : null;
        var rendered = renderer.Render(graph, scope, (IFileSink?)recorder ?? files);
        diagnostics.AddRange(rendered.Diagnostics);
        var planned = graph with { Digest = "", Diagnostics = [.. graph.Diagnostics.Skip(validationDiagnostics)] };
        return (rendered.Manifests, recorder?.Files is { } kept ? new ReusablePlan(key!, planned, rendered.Diagnostics, rendered.Manifests, kept) : null);
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
