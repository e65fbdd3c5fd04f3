using System.Diagnostics;
using System.Globalization;
using Reconcile.Bench;
using Reconcile.Compiler;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Planning;

// Medians of repeated in-process runs (after one warm-up). Usage:
//   dotnet run -c Release --project bench/Reconcile.Bench -- [runs] [--sizes 1000,10000,50000] [--clusters 20] [--quick]
var options = args.ToList();
var runs = options.Count > 0 && int.TryParse(options[0], out var r) ? r : 5;
var sizes = Value("--sizes")?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() ?? [1000, 10000, 50000];
var clusters = int.Parse(Value("--clusters") ?? "20", CultureInfo.InvariantCulture);
var repo = FindRepository();
var planAt = new DateTime(2027, 3, 1, 0, 0, 0, DateTimeKind.Utc);

// --idle-pass SIZE [--midway] [--api-latency MS]: the reconciler's pass with nothing to do, against the simulator (IdlePass).
if (Value("--idle-pass") is { } idleSize)
{
    await IdlePass.Run(int.Parse(idleSize, CultureInfo.InvariantCulture), clusters, runs, options.Contains("--midway"), int.Parse(Value("--api-latency") ?? "0", CultureInfo.InvariantCulture), ValidateFleet);
    return;
}

// --revision SIZE: a new revision that edits one plan of two, compiled in memory as the reconciler does, with and without the last compilation (RevisionCompile).
if (Value("--revision") is { } revisionSize)
{
    RevisionCompile.Run(int.Parse(revisionSize, CultureInfo.InvariantCulture), clusters, runs);
    return;
}

// --write SIZE DIR: the fleet as plan files (topology.yaml, inventory-CLUSTER.yaml, plan.yaml), for the
// process-level harness (bench/compile-vs-helm.sh) and for users to try.
if (Value("--write") is { } writeSize)
{
    var directory = options[options.IndexOf("--write") + 2];
    var shape = new FleetShape(int.Parse(writeSize, CultureInfo.InvariantCulture), clusters, options.Contains("--windows"), int.Parse(Value("--gbps") ?? "40", CultureInfo.InvariantCulture));
    var (t, i, p) = FleetGenerator.Generate(shape);
    Directory.CreateDirectory(directory);
    File.WriteAllText(Path.Combine(directory, "topology.yaml"), t);
    foreach (var document in i.Split("---\n", StringSplitOptions.RemoveEmptyEntries))
    {
        var cluster = document[(document.IndexOf("cluster: ", StringComparison.Ordinal) + 9)..].Split('\n')[0];
        File.WriteAllText(Path.Combine(directory, $"inventory-{cluster}.yaml"), document);
    }

    File.WriteAllText(Path.Combine(directory, "plan.yaml"), p);
    Console.WriteLine($"wrote {shape.Vms} VMs on {shape.Clusters} clusters to {directory}");
    return;
}

// --once SIZE: one validate+plan in a fresh process, for measuring peak memory from outside
// (e.g. /usr/bin/time -v); the YAML is generated before the clock and the memory baseline start.
if (Value("--once") is { } once)
{
    var (t, i, p) = FleetGenerator.Generate(new FleetShape(int.Parse(once, CultureInfo.InvariantCulture), clusters, options.Contains("--windows"), int.Parse(Value("--gbps") ?? "40", CultureInfo.InvariantCulture)));
    var baseline = Process.GetCurrentProcess().WorkingSet64;
    var watch = Stopwatch.StartNew();
    var result = ValidateFleet(t, i, p);
    var graph = Planner.Plan(result.Model.Plans[0], result.Model, planAt, result.Digest).Graph;
    watch.Stop();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"validate+plan {once} VMs: {watch.Elapsed.TotalMilliseconds:F0} ms, {graph?.Steps.Count} steps, working set before {baseline / 1048576.0:F0} MiB, peak {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB"));
    return;
}

// --render SIZE: validate + plan + render the manifests, graph files and report (all of `reconcile compile` but the writing), median of `runs`.
if (Value("--render") is { } renderSize)
{
    var (t, i, p) = FleetGenerator.Generate(new FleetShape(int.Parse(renderSize, CultureInfo.InvariantCulture), clusters, options.Contains("--windows"), int.Parse(Value("--gbps") ?? "40", CultureInfo.InvariantCulture)));
    var renderTimes = new List<double>();
    var fileCount = 0;
    long bytes = 0;
    for (var run = 0; run <= runs; run++)
    {
        var watch = Stopwatch.StartNew();
        var result = ValidateFleet(t, i, p);
        // What `reconcile compile` does in memory: plan, render, graph files and report.html.
        var compiled = Reconcile.Compiler.Compilation.Run(result, planAt, new Reconcile.Compiler.Rendering.TemplateSet());
        watch.Stop();
        fileCount = compiled.Files.Count;
        bytes = compiled.Files.Sum(f => (long)f.Value.Length);
        if (run > 0)
        {
            renderTimes.Add(watch.Elapsed.TotalMilliseconds);
        }
    }

    renderTimes.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"validate+plan+render {renderSize} VMs: median {renderTimes[renderTimes.Count / 2]:F0} ms (min {renderTimes[0]:F0}, max {renderTimes[^1]:F0}), {fileCount} files, {bytes / 1048576.0:F1} MiB, peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB"));
    return;
}

Console.WriteLine($"runs={runs}, cores={Environment.ProcessorCount}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
Console.WriteLine();
Console.WriteLine("| case | validate ms | validate+plan ms (median) | min | max | peak MiB | steps | makespan | lower bound | ratio | naive baseline | ours vs naive | lower bound vs naive |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");

Row("examples (3 plans, 44 VMs)", () => PlanValidator.Validate(["plans/examples"], repo), null);
foreach (var size in sizes)
{
    foreach (var windows in new[] { false, true })
    {
        foreach (var gbps in new[] { 40, 10 })
        {
            var shape = new FleetShape(size, clusters, windows, gbps);
            var (topology, inventory, plan) = FleetGenerator.Generate(shape);
            Row($"{size} VMs, {clusters} clusters, {gbps} Gbit/s links, {(windows ? "nightly windows" : "no windows")}", () => ValidateFleet(topology, inventory, plan), planAt);
        }
    }
}

void Row(string name, Func<ValidationResult> validate, DateTime? now)
{
    var validated = validate();
    if (validated.HasErrors)
    {
        Console.WriteLine($"| {name} | invalid: {validated.Diagnostics.First(d => d.IsError)} |");
        return;
    }

    PlanResult? planned = null;
    var validateTimes = new List<double>();
    var totalTimes = new List<double>();
    long peak = 0;
    for (var i = 0; i <= runs; i++)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(true);
        var watch = Stopwatch.StartNew();
        var result = validate();
        var validated2 = watch.Elapsed.TotalMilliseconds;
        if (now is { } at)
        {
            planned = Planner.Plan(result.Model.Plans[0], result.Model, at, result.Digest);
        }

        watch.Stop();
        var used = Process.GetCurrentProcess().PeakWorkingSet64;
        peak = Math.Max(peak, used);
        if (i > 0)
        {
            validateTimes.Add(validated2);
            totalTimes.Add(watch.Elapsed.TotalMilliseconds);
        }

        _ = before;
    }

    validateTimes.Sort();
    totalTimes.Sort();
    var graph = planned?.Graph;
    var naive = now is null ? null : NaiveBaseline.Makespan(validated, validated.Model.Plans[0], now.Value);
    string Hours(long seconds) => (seconds / 3600.0).ToString("0.0", CultureInfo.InvariantCulture) + " h";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {validateTimes[validateTimes.Count / 2]:F0} | {totalTimes[totalTimes.Count / 2]:F0} | {totalTimes[0]:F0} | {totalTimes[^1]:F0} | {peak / 1048576.0:F0} | {graph?.Steps.Count.ToString(CultureInfo.InvariantCulture) ?? "-"} | {(graph is null ? "-" : Hours(graph.MakespanSeconds))} | {(graph is null ? "-" : Hours(graph.LowerBoundSeconds))} | {(graph is null || graph.LowerBoundSeconds == 0 ? "-" : ((double)graph.MakespanSeconds / graph.LowerBoundSeconds).ToString("0.00", CultureInfo.InvariantCulture))} | {(naive is null ? "-" : Hours(naive.Value.Makespan) + (naive.Value.Failed > 0 ? $" ({naive.Value.Failed} failed)" : ""))} | {(naive is null || graph is null ? "-" : (1 - (double)graph.MakespanSeconds / naive.Value.Makespan).ToString("P0", CultureInfo.InvariantCulture) + " shorter")} | {(naive is null || graph is null ? "-" : (1 - (double)graph.LowerBoundSeconds / naive.Value.Makespan).ToString("P0", CultureInfo.InvariantCulture) + " shorter")} |"));
}

string? Value(string name)
{
    var index = options.IndexOf(name);
    return index >= 0 && index + 1 < options.Count ? options[index + 1] : null;
}

// Loads the three generated documents from memory and validates them, as `reconcile validate` would.
static ValidationResult ValidateFleet(string topology, string inventory, string plan)
{
    var documents = new List<PlanDocument>();
    var diagnostics = new List<Diagnostic>();
    PlanLoader.LoadText("topology.yaml", topology, documents, diagnostics);
    PlanLoader.LoadText("inventory.yaml", inventory, documents, diagnostics);
    PlanLoader.LoadText("plan.yaml", plan, documents, diagnostics);
    return PlanValidator.Validate(new LoadResult(documents, diagnostics, 3));
}

static string FindRepository()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Reconcile.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("run from inside the repository");
}
