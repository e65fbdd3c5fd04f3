using System.Text.Json.Nodes;
using Reconcile.Compiler;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Execution;
using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;

namespace Reconcile.Reconciler.Execution;

/// <summary>One rendered object of a step, with its role and the cluster it goes to.</summary>
public sealed record PlacedObject(string Cluster, ObjectRole Role, JsonObject Object)
{
    public string ApiVersion => Object["apiVersion"]!.GetValue<string>();

    public string Kind => Object["kind"]!.GetValue<string>();

    public string? Namespace => Object["metadata"]?["namespace"]?.GetValue<string>();

    public string Name => Object["metadata"]!["name"]!.GetValue<string>();
}

/// <summary>
/// One plan as compiled at a revision, as the reconciler executes it: the compiler's typed plan
/// (graph, run policy, step manifests) and the plan's own files (paths relative to its folder). The
/// objects of a step are the rendered documents its manifest names, parsed once and handed out as copies.
/// </summary>
public sealed class CompiledCampaign
{
    private readonly Dictionary<string, List<JsonObject>> parsed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GraphStep> steps;
    private readonly Dictionary<string, Move> moves;
    private readonly Dictionary<string, Vm> vms;

    public CompiledCampaign(CompiledPlan plan, IReadOnlyDictionary<string, string> files, IEnumerable<Vm> vms)
    {
        Compiled = plan;
        Files = files.Where(f => f.Key.StartsWith(plan.Prefix, StringComparison.Ordinal)).ToDictionary(f => f.Key[plan.Prefix.Length..], f => f.Value, StringComparer.Ordinal);
        steps = plan.Graph.Steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        moves = plan.Moves.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        this.vms = vms.GroupBy(v => v.Id).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        // The orders a reconcile pass walks the steps in, sorted once rather than once per pass.
        StartOrder = [.. plan.Graph.Steps.OrderBy(s => s.PlannedStart).ThenByDescending(s => s.Priority).ThenBy(s => s.Id, StringComparer.Ordinal)];
        IdOrder = [.. plan.Graph.Steps.Select(s => s.Id).Order(StringComparer.Ordinal)];
        Movers = [.. plan.Graph.Steps.Where(StepAdmission.Moves)];
    }

    /// <summary>The graph's steps in the order they are started: planned start, then priority (highest first), then id.</summary>
    public IReadOnlyList<GraphStep> StartOrder { get; }

    /// <summary>The graph's step ids in ordinal order (the order the run's status lists them in).</summary>
    public IReadOnlyList<string> IdOrder { get; }

    /// <summary>The steps that move data (windowed and limited).</summary>
    public IReadOnlyList<GraphStep> Movers { get; }

    /// <summary>The campaign of plan <paramref name="name"/> out of a compilation.</summary>
    public static CompiledCampaign Of(CompilationResult result, string name) =>
        new(result.Plan(name), result.Files, result.Validation.Model.Inventories.SelectMany(i => i.Vms));

    public CompiledPlan Compiled { get; }

    public ExecutionGraph Graph => Compiled.Graph;

    public RunPolicy Policy => Compiled.Policy;

    public string Name => Compiled.Name;

    public IReadOnlyDictionary<string, string> Files { get; }

    public GraphStep Step(string id) => steps[id];

    public bool HasStep(string id) => steps.ContainsKey(id);

    public StepManifest Manifest(GraphStep step) => Compiled.Manifest(step.Id);

    /// <summary>The step's objects in manifest order, each a fresh copy.</summary>
    public IReadOnlyList<PlacedObject> Objects(GraphStep step) => [.. Manifest(step).Objects.Select(Place)];

    public IEnumerable<PlacedObject> Objects(GraphStep step, ObjectRole role) => Manifest(step).With(role).Select(Place);

    /// <summary>The objects that reverse the step, in manifest order, each a fresh copy.</summary>
    public IEnumerable<PlacedObject> RollbackObjects(GraphStep step, ObjectRole role) => Manifest(step).RollbackWith(role).Select(Place);

    /// <summary>Every document of a file of the plan (the run, the static manifests), each a fresh copy.</summary>
    public IReadOnlyList<JsonObject> FileObjects(string path)
    {
        // Parsed objects are shared and a JsonNode is not safe to read from two threads (it builds its
        // property table on first access): copies are made one at a time.
        lock (parsed)
        {
            return [.. Parsed(path).Select(o => (JsonObject)o.DeepClone())];
        }
    }

    /// <summary>The VM a step moves, split into namespace and name.</summary>
    public static (string Namespace, string Name) VmOf(GraphStep step)
    {
        var parts = step.Vm!.Split('/');
        return (parts[0], parts[1]);
    }

    /// <summary>Where the step's VM and its objects live in <paramref name="cluster"/> (Conventions.NamespaceOn).</summary>
    public string NamespaceOn(GraphStep step, string cluster)
    {
        var (ns, _) = VmOf(step);
        var vmCluster = vms.TryGetValue(step.Vm!, out var vm) ? vm.Cluster : step.From?.Cluster ?? cluster;
        return Conventions.NamespaceOn(ns, vmCluster, step.Move is { } m ? moves.GetValueOrDefault(m) : null, cluster);
    }

    private PlacedObject Place(ManifestObject meta)
    {
        lock (parsed)
        {
            return new(meta.Cluster, meta.Role, (JsonObject)Parsed(meta.File)[meta.Document].DeepClone());
        }
    }

    private List<JsonObject> Parsed(string path)
    {
        if (!parsed.TryGetValue(path, out var objects))
        {
            var documents = new List<PlanDocument>();
            var problems = new List<Diagnostic>();
            PlanLoader.LoadText(path, Files[path], documents, problems);
            if (problems.Count > 0)
            {
                throw new InvalidOperationException($"{path}: {problems[0].Message}");
            }

            objects = [.. documents.Select(d => d.Root).OfType<JsonObject>()];
            parsed[path] = objects;
        }

        return objects;
    }
}
