using System.Diagnostics;
using System.Globalization;
using Reconcile.Compiler;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Rendering;

namespace Reconcile.Bench;

/// <summary>
/// What the reconciler does with a new revision that edits one plan of two (validate the revision, then
/// compile it in memory): with the last compilation handed to the compiler, which takes over the plan that
/// did not change (PlanInputs), against compiling both again. The fleet's plan is split in two by source
/// cluster, each naming its own inventories; the revision lowers the second plan's parallelism.
/// </summary>
public static class RevisionCompile
{
    public static void Run(int vms, int clusters, int runs)
    {
        var (topology, inventory, plan) = FleetGenerator.Generate(new FleetShape(vms, clusters));
        var half = Math.Max(1, clusters / 2);
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["topology.yaml"] = topology };
        foreach (var document in inventory.Split("---\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var cluster = document[(document.IndexOf("cluster: ", StringComparison.Ordinal) + 9)..].Split('\n')[0];
            files[$"inventory-{cluster}.yaml"] = document;
        }

        files["plan-a.yaml"] = Part(plan, "bench-a", c => c < half / 2);
        files["plan-b.yaml"] = Part(plan, "bench-b", c => c >= half / 2);
        var templates = new TemplateSet(new Dictionary<string, (string Text, string DisplayPath)>());
        var now = new DateTime(2027, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        var first = Compile(files, now, templates, null);
        if (first.HasErrors || first.Plans.Count != 2)
        {
            throw new InvalidOperationException(string.Join("\n", first.Diagnostics.Where(d => d.IsError)));
        }

        var edited = new SortedDictionary<string, string>(files, StringComparer.Ordinal)
        {
            ["plan-b.yaml"] = files["plan-b.yaml"].Replace("perCluster: 5", "perCluster: 4", StringComparison.Ordinal),
        };
        var (full, incremental) = (new List<double>(), new List<double>());
        var reused = 0;
        for (var run = 0; run <= runs; run++)
        {
            var watch = Stopwatch.StartNew();
            Compile(edited, now, templates, null);
            var fullMs = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            reused = Compile(edited, now, templates, first).Reused.Count;
            var incrementalMs = watch.Elapsed.TotalMilliseconds;
            if (run > 0)
            {
                (full, incremental) = ([.. full, fullMs], [.. incremental, incrementalMs]);
            }
        }

        full.Sort();
        incremental.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"a revision editing one of two plans, {vms} VMs on {clusters} clusters, median of {runs}: every plan compiled {full[full.Count / 2]:F0} ms (min {full[0]:F0}, max {full[^1]:F0}); the unchanged plan taken over {incremental[incremental.Count / 2]:F0} ms (min {incremental[0]:F0}, max {incremental[^1]:F0}); plans taken over: {reused}"));
    }

    /// <summary>The plan with only the moves from source clusters <paramref name="take"/> keeps, and the inventories of those clusters.</summary>
    private static string Part(string plan, string name, Func<int, bool> take)
    {
        var lines = plan.Split('\n').Where(line => !line.Contains(" from: c", StringComparison.Ordinal) || take(SourceCluster(line))).ToList();
        var sources = plan.Split('\n').Where(line => line.Contains(" from: c", StringComparison.Ordinal)).Select(SourceCluster).Where(take).Distinct().Order();
        var text = string.Join('\n', lines).Replace("metadata: {name: bench-plan}", $"metadata: {{name: {name}}}", StringComparison.Ordinal);
        return text.Replace("  topology: bench\n", $"  topology: bench\n  inventories: [{string.Join(", ", sources.Select(c => $"c{c:00}-vms"))}]\n", StringComparison.Ordinal);
    }

    private static int SourceCluster(string moveLine)
    {
        var at = moveLine.IndexOf(" from: c", StringComparison.Ordinal) + 8;
        return int.Parse(moveLine.AsSpan(at, 2), CultureInfo.InvariantCulture);
    }

    private static CompilationResult Compile(IReadOnlyDictionary<string, string> files, DateTime now, TemplateSet templates, CompilationResult? previous)
    {
        var load = PlanLoader.LoadTexts([.. files.Select(f => new PlanLoader.SourceText(f.Key, f.Value.Length, () => f.Value))]);
        return Compilation.Run(PlanValidator.Validate(load), now, templates, progress: null, sink: null, previous);
    }
}
