using System.Diagnostics;
using System.Globalization;
using Reconcile.Compiler;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;
using Reconcile.Bench;

// Medians of repeated in-process runs (after one warm-up), with allocation per run.
// Usage: dotnet run -c Release --project bench/Reconcile.Bench -- [runs] [fleet sizes...]
var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
var sizes = args.Length > 1 ? args.Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [100, 1000, 5000];
var repo = FindRepository();

Console.WriteLine($"runs={runs}, cores={Environment.ProcessorCount}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
Console.WriteLine("| case | median ms | min ms | max ms | allocated MiB/run | diagnostics |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");

Measure("validate plans/examples (3 plans, 44 VMs)", () => PlanValidator.Validate(["plans/examples"], repo));
foreach (var size in sizes)
{
    var (topology, inventory, plan) = FleetGenerator.Generate(size);
    Measure($"validate synthetic fleet, {size} VMs ({(topology.Length + inventory.Length + plan.Length) / 1024} KiB YAML)", () =>
    {
        var documents = new List<PlanDocument>();
        var diagnostics = new List<Diagnostic>();
        PlanLoader.LoadText("topology.yaml", topology, documents, diagnostics);
        PlanLoader.LoadText("inventory.yaml", inventory, documents, diagnostics);
        PlanLoader.LoadText("plan.yaml", plan, documents, diagnostics);
        return PlanValidator.Validate(new LoadResult(documents, diagnostics, 3));
    });
}

// Where the time goes for the largest fleet: parsing, schema evaluation, and everything together.
{
    var (topology, inventory, plan) = FleetGenerator.Generate(sizes.Max());
    List<PlanDocument> Load()
    {
        var documents = new List<PlanDocument>();
        var diagnostics = new List<Diagnostic>();
        PlanLoader.LoadText("topology.yaml", topology, documents, diagnostics);
        PlanLoader.LoadText("inventory.yaml", inventory, documents, diagnostics);
        PlanLoader.LoadText("plan.yaml", plan, documents, diagnostics);
        return documents;
    }

    var loaded = Load();
    Measure($"  phase: load YAML into JSON + source map, {sizes.Max()} VMs", () => new ValidationResult([], new([], [], []), 3, Load().Count));
    Measure($"  phase: JSON Schema evaluation, {sizes.Max()} VMs", () => new ValidationResult(loaded.SelectMany(Reconcile.Compiler.Schema.PlanSchema.Validate).ToList(), new([], [], []), 3, loaded.Count));
}

Measure("reject billion-laughs fixture (RC1004)", () => PlanValidator.Validate(["plans/invalid/RC1004-yaml-too-complex.yaml"], repo));

void Measure(string name, Func<ValidationResult> action)
{
    var result = action();
    var times = new List<double>();
    long allocated = 0;
    for (var i = 0; i < runs; i++)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        result = action();
        watch.Stop();
        allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        times.Add(watch.Elapsed.TotalMilliseconds);
    }

    times.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {times[times.Count / 2]:F1} | {times[0]:F1} | {times[^1]:F1} | {allocated / runs / 1048576.0:F1} | {result.Diagnostics.Count} |"));
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
