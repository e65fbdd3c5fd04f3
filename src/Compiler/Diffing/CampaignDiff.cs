using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;

namespace Reconcile.Compiler.Diffing;

public enum ChangeKind
{
    Added,
    Removed,
    Changed,
}

/// <summary>A diagnostic that the head revision has and the base has not (Added), or the reverse (Removed).</summary>
public sealed record DiagnosticChange(ChangeKind Kind, Diagnostic Diagnostic);

/// <summary>One VM's place in the campaign at both revisions; times are the VM's first step start and last step end.</summary>
public sealed record VmChange(
    string Vm,
    ChangeKind Kind,
    string? BaseStage,
    string? HeadStage,
    int StageOrderChange,
    DateTime? BaseStart,
    DateTime? HeadStart,
    DateTime? BaseEnd,
    DateTime? HeadEnd)
{
    public bool StageChanged => Kind == ChangeKind.Changed && BaseStage != HeadStage;

    public TimeSpan? StartShift => HeadStart - BaseStart;

    public TimeSpan? EndShift => HeadEnd - BaseEnd;
}

/// <summary>A named setting (a window, a limit) before and after; null where it did not exist.</summary>
public sealed record SettingChange(string Name, string? Before, string? After)
{
    public ChangeKind Kind => Before is null ? ChangeKind.Added : After is null ? ChangeKind.Removed : ChangeKind.Changed;
}

public sealed record PlanDiff(
    string Plan,
    ChangeKind? Presence,
    long? BaseMakespanSeconds,
    long? HeadMakespanSeconds,
    long? BaseLowerBoundSeconds,
    long? HeadLowerBoundSeconds,
    IReadOnlyList<VmChange> Vms,
    IReadOnlyList<SettingChange> Windows,
    IReadOnlyList<SettingChange> Limits);

public sealed record FileChange(string Path, ChangeKind Kind, string Unified);

/// <summary>What a change to the plan tree does to the campaign (`reconcile diff`).</summary>
public sealed record CampaignDiff(
    string Base,
    string Head,
    TimeSpan Threshold,
    IReadOnlyList<DiagnosticChange> Diagnostics,
    IReadOnlyList<PlanDiff> Plans,
    IReadOnlyList<FileChange> Files,
    bool BaseHasErrors,
    bool HeadHasErrors)
{
    public bool IsEmpty => Diagnostics.Count == 0 && Files.Count == 0 &&
        Plans.All(p => p.Presence is null && p.Vms.Count == 0 && p.Windows.Count == 0 && p.Limits.Count == 0 &&
                       p.BaseMakespanSeconds == p.HeadMakespanSeconds && p.BaseLowerBoundSeconds == p.HeadLowerBoundSeconds);
}

/// <summary>Compares two compilations of a plan tree. Pure: the caller compiles both revisions.</summary>
public static class CampaignComparer
{
    public static CampaignDiff Compare(string baseLabel, CompilationResult before, string headLabel, CompilationResult after, TimeSpan threshold)
    {
        var plans = before.Validation.Model.Plans.Select(p => p.Name).Union(after.Validation.Model.Plans.Select(p => p.Name))
            .Order(StringComparer.Ordinal)
            .Select(name => ComparePlan(name, before, after, threshold))
            .ToList();
        return new CampaignDiff(baseLabel, headLabel, threshold, CompareDiagnostics(before.Diagnostics, after.Diagnostics), plans,
            CompareFiles(before, after), before.HasErrors, after.HasErrors);
    }

    /// <summary>Diagnostics match by code, file and message: an edit above a problem moves its line, not the problem.</summary>
    private static List<DiagnosticChange> CompareDiagnostics(IReadOnlyList<Diagnostic> before, IReadOnlyList<Diagnostic> after)
    {
        static (string, string, string) Key(Diagnostic d) => (d.Code, d.Location.File, d.Message);
        var old = before.Select(Key).ToHashSet();
        var current = after.Select(Key).ToHashSet();
        return
        [
            .. after.Where(d => !old.Contains(Key(d))).Select(d => new DiagnosticChange(ChangeKind.Added, d)),
            .. before.Where(d => !current.Contains(Key(d))).Select(d => new DiagnosticChange(ChangeKind.Removed, d)),
        ];
    }

    private static PlanDiff ComparePlan(string name, CompilationResult before, CompilationResult after, TimeSpan threshold)
    {
        var oldPlan = before.Validation.Model.Plans.FirstOrDefault(p => p.Name == name);
        var newPlan = after.Validation.Model.Plans.FirstOrDefault(p => p.Name == name);
        var oldGraph = before.Graphs.FirstOrDefault(g => g.Plan == name);
        var newGraph = after.Graphs.FirstOrDefault(g => g.Plan == name);
        ChangeKind? presence = oldPlan is null ? ChangeKind.Added : newPlan is null ? ChangeKind.Removed : null;
        return new PlanDiff(name, presence,
            oldGraph?.MakespanSeconds, newGraph?.MakespanSeconds, oldGraph?.LowerBoundSeconds, newGraph?.LowerBoundSeconds,
            CompareVms(oldGraph, newGraph, threshold),
            Settings(WindowsOf(oldPlan), WindowsOf(newPlan)),
            Settings(LimitsOf(oldPlan, oldGraph), LimitsOf(newPlan, newGraph)));
    }

    private sealed record VmPlace(string Stage, int StageIndex, DateTime Start, DateTime End);

    private static Dictionary<string, VmPlace> Places(ExecutionGraph? graph)
    {
        var places = new Dictionary<string, VmPlace>(StringComparer.Ordinal);
        if (graph is null)
        {
            return places;
        }

        var order = graph.Stages.Select((s, i) => (s.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
        var names = graph.Stages.ToDictionary(s => s.Id, s => s.Name, StringComparer.Ordinal);
        foreach (var steps in graph.Steps.Where(s => s.Vm is not null).GroupBy(s => s.Vm!))
        {
            // A VM's stage is the stage of its cut-over, the last migrate step.
            var cutover = steps.Where(s => s.Kind == StepKind.Migrate).OrderBy(s => s.PlannedStart).LastOrDefault() ?? steps.Last();
            places[steps.Key] = new VmPlace(names[cutover.Stage], order[cutover.Stage], steps.Min(s => s.PlannedStart), steps.Max(s => s.PlannedEnd));
        }

        return places;
    }

    private static List<VmChange> CompareVms(ExecutionGraph? before, ExecutionGraph? after, TimeSpan threshold)
    {
        var old = Places(before);
        var current = Places(after);
        var changes = new List<VmChange>();
        foreach (var vm in old.Keys.Union(current.Keys).Order(StringComparer.Ordinal))
        {
            old.TryGetValue(vm, out var a);
            current.TryGetValue(vm, out var b);
            if (a is null || b is null)
            {
                changes.Add(new VmChange(vm, a is null ? ChangeKind.Added : ChangeKind.Removed, a?.Stage, b?.Stage, 0, a?.Start, b?.Start, a?.End, b?.End));
                continue;
            }

            var shifted = (b.Start - a.Start).Duration() >= threshold || (b.End - a.End).Duration() >= threshold;
            if (a.Stage != b.Stage || shifted)
            {
                changes.Add(new VmChange(vm, ChangeKind.Changed, a.Stage, b.Stage, Math.Sign(b.StageIndex - a.StageIndex), a.Start, b.Start, a.End, b.End));
            }
        }

        return changes;
    }

    private static List<SettingChange> Settings(SortedDictionary<string, string> before, SortedDictionary<string, string> after) =>
        [.. before.Keys.Union(after.Keys).Order(StringComparer.Ordinal)
            .Select(k => new SettingChange(k, before.GetValueOrDefault(k), after.GetValueOrDefault(k)))
            .Where(c => c.Before != c.After)];

    private static SortedDictionary<string, string> WindowsOf(MigrationPlan? plan)
    {
        var windows = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (plan is null)
        {
            return windows;
        }

        foreach (var allow in plan.Windows.Allow)
        {
            windows[$"allow {allow.Name}"] = $"cron \"{allow.Cron}\" for {Quantities.FormatDuration(allow.Duration)} ({allow.TimeZoneName}){Scope(allow.Clusters)}";
        }

        foreach (var deny in plan.Windows.Deny)
        {
            var when = deny.Cron is { } cron
                ? $"cron \"{cron}\" for {Quantities.FormatDuration(deny.Duration ?? TimeSpan.Zero)} ({deny.TimeZoneName})"
                : $"{deny.Start:yyyy-MM-dd'T'HH:mm:ssK} .. {deny.End:yyyy-MM-dd'T'HH:mm:ssK}";
            windows[$"deny {deny.Name}"] = when + Scope(deny.Clusters);
        }

        return windows;
    }

    private static string Scope(IReadOnlyCollection<string> clusters) => clusters.Count == 0 ? "" : $" on {string.Join(", ", clusters)}";

    private static SortedDictionary<string, string> LimitsOf(MigrationPlan? plan, ExecutionGraph? graph)
    {
        var limits = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (plan is null)
        {
            return limits;
        }

        var strategy = plan.Strategy;
        limits["parallelism.perCluster"] = strategy.Parallelism.PerCluster.ToString(System.Globalization.CultureInfo.InvariantCulture);
        limits["parallelism.perNode"] = strategy.Parallelism.PerNode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        limits["parallelism.perLink"] = strategy.Parallelism.PerLink.ToString(System.Globalization.CultureInfo.InvariantCulture);
        limits["bandwidthPerMigration"] = strategy.BandwidthPerMigrationBitsPerSecond is { } bits and > 0 ? Quantities.FormatBits(bits) : "unlimited";
        limits["canary"] = strategy.Canary.ToString(System.Globalization.CultureInfo.InvariantCulture);
        limits["maxFailures"] = strategy.MaxFailures.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var group in plan.Groups)
        {
            limits[$"group {group.Name} maxConcurrent"] = group.MaxConcurrent.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // The effective limits the graph ran with, after each cluster's KubeVirt ceilings.
        foreach (var (cluster, value) in graph?.Limits.PerCluster ?? new Dictionary<string, int>())
        {
            limits[$"effective perCluster {cluster}"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var (link, value) in graph?.Limits.LinkBandwidthBps ?? new Dictionary<string, long>())
        {
            limits[$"link {link} bandwidth"] = Quantities.FormatBits(value * 8);
        }

        return limits;
    }

    private static List<FileChange> CompareFiles(CompilationResult before, CompilationResult after)
    {
        // With errors on either side there is no output tree to compare; the diagnostics say why.
        if (before.HasErrors || after.HasErrors)
        {
            return [];
        }

        // Manifests only: graph.json and summary.txt change with every input digest, and the plan
        // sections of the diff already say what changed in them.
        var changes = new List<FileChange>();
        foreach (var path in before.Files.Keys.Union(after.Files.Keys).Where(p => p.EndsWith(".yaml", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var a = before.Files.GetValueOrDefault(path);
            var b = after.Files.GetValueOrDefault(path);
            if (a != b)
            {
                changes.Add(new FileChange(path, a is null ? ChangeKind.Added : b is null ? ChangeKind.Removed : ChangeKind.Changed, UnifiedDiff.Of(path, a, b)));
            }
        }

        return changes;
    }
}
