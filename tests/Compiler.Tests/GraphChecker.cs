using System.Globalization;
using System.Text.Json;

namespace Reconcile.Compiler.Tests;

/// <summary>
/// An independent checker of the seven invariants of ../shared/design/graph-contract.md. It reads
/// graph.json as JSON and knows nothing of the scheduler; what it needs from the plan (which VMs the
/// moves select, which moves wait for which) comes from the caller.
/// </summary>
public static class GraphChecker
{
    /// <param name="MoveOfVm">Each VM the plan's moves select (namespace/name) and the move that selects it.</param>
    /// <param name="TargetOfMove">Each move's target cluster.</param>
    /// <param name="AfterOfMove">Each move's `after` list.</param>
    public sealed record Expectation(
        IReadOnlyDictionary<string, string> MoveOfVm,
        IReadOnlyDictionary<string, string> TargetOfMove,
        IReadOnlyDictionary<string, IReadOnlyList<string>> AfterOfMove);

    private sealed record Step(string Id, string Kind, string? Vm, string? Move, string? FromCluster, string? FromNode, string? ToCluster,
        string? Link, string Stage, string[] DependsOn, DateTime Start, DateTime End, long Bandwidth, long Seconds, long Bytes);

    /// <summary>Returns every violation found; empty when the graph honours the contract.</summary>
    public static List<string> Check(string graphJson, Expectation expected)
    {
        var problems = new List<string>();
        using var document = JsonDocument.Parse(graphJson);
        var root = document.RootElement;
        var start = Time(root.GetProperty("start"));
        var steps = root.GetProperty("steps").EnumerateArray().Select(Read).ToList();
        var byId = new Dictionary<string, Step>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            if (!byId.TryAdd(step.Id, step))
            {
                problems.Add($"7: step id {step.Id} is not unique");
            }
        }

        CheckCoverage(root, steps, expected, problems);
        CheckDependencies(steps, byId, expected, problems);
        CheckLimits(root, steps, problems);
        CheckWindows(root, steps, problems);
        CheckPredictions(steps, problems);
        var makespan = root.GetProperty("makespanSeconds").GetInt64();
        var lowerBound = root.GetProperty("lowerBoundSeconds").GetInt64();
        if (lowerBound > makespan)
        {
            problems.Add($"6: lowerBoundSeconds {lowerBound} > makespanSeconds {makespan}");
        }

        var lastEnd = steps.Count == 0 ? start : steps.Max(s => s.End);
        if ((long)(lastEnd - start).TotalSeconds != makespan)
        {
            problems.Add($"makespanSeconds {makespan} is not max(plannedEnd) - start = {(lastEnd - start).TotalSeconds}");
        }

        CheckOrder(root, steps, problems);
        return problems;
    }

    private static Step Read(JsonElement s)
    {
        var from = s.GetProperty("from");
        var to = s.GetProperty("to");
        return new Step(
            s.GetProperty("id").GetString()!,
            s.GetProperty("kind").GetString()!,
            s.GetProperty("vm").GetString(),
            s.GetProperty("move").GetString(),
            from.ValueKind == JsonValueKind.Null ? null : from.GetProperty("cluster").GetString(),
            from.ValueKind == JsonValueKind.Null ? null : from.GetProperty("node").GetString(),
            to.ValueKind == JsonValueKind.Null ? null : to.GetProperty("cluster").GetString(),
            s.GetProperty("link").GetString(),
            s.GetProperty("stage").GetString()!,
            [.. s.GetProperty("dependsOn").EnumerateArray().Select(d => d.GetString()!)],
            Time(s.GetProperty("plannedStart")),
            Time(s.GetProperty("plannedEnd")),
            s.GetProperty("bandwidthBps").GetInt64(),
            s.GetProperty("predicted").GetProperty("seconds").GetInt64(),
            s.GetProperty("predicted").GetProperty("bytes").GetInt64());
    }

    private static DateTime Time(JsonElement e) =>
        DateTime.ParseExact(e.GetString()!, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    // 1. Every selected VM lands in exactly one migrate step into its move's target, or a diagnostic names it.
    private static void CheckCoverage(JsonElement root, List<Step> steps, Expectation expected, List<string> problems)
    {
        var diagnostics = root.GetProperty("diagnostics").EnumerateArray().Select(d => d.GetProperty("message").GetString()!).ToList();
        foreach (var (vm, move) in expected.MoveOfVm)
        {
            var migrations = steps.Where(s => s.Kind == "migrate" && s.Vm == vm).ToList();
            var landing = migrations.Count(m => m.ToCluster == expected.TargetOfMove[move]);
            if (migrations.Count == 0 && !diagnostics.Any(d => d.Contains(vm, StringComparison.Ordinal)))
            {
                problems.Add($"1: VM {vm} has no migrate step and no diagnostic");
            }

            if (migrations.Count > 0 && landing != 1)
            {
                problems.Add($"1: VM {vm} has {landing} migrate steps into {expected.TargetOfMove[move]}, not exactly one");
            }

            if (migrations.Any(m => m.Move != move))
            {
                problems.Add($"1: VM {vm} is migrated by another move than {move}");
            }
        }

        foreach (var step in steps.Where(s => s.Vm is not null && !expected.MoveOfVm.ContainsKey(s.Vm)))
        {
            problems.Add($"1: step {step.Id} moves VM {step.Vm}, which no move selects");
        }
    }

    // 2. A step starts after each dependency ends; `after` and the canary stage are reflected in dependsOn.
    private static void CheckDependencies(List<Step> steps, Dictionary<string, Step> byId, Expectation expected, List<string> problems)
    {
        foreach (var step in steps)
        {
            foreach (var dependency in step.DependsOn)
            {
                if (!byId.TryGetValue(dependency, out var before))
                {
                    problems.Add($"7: {step.Id} depends on unknown step {dependency}");
                }
                else if (step.Start < before.End)
                {
                    problems.Add($"2: {step.Id} starts {step.Start:O} before its dependency {dependency} ends {before.End:O}");
                }
            }
        }

        var ancestors = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        HashSet<string> AncestorsOf(string id)
        {
            if (ancestors.TryGetValue(id, out var known))
            {
                return known;
            }

            var set = new HashSet<string>(StringComparer.Ordinal);
            ancestors[id] = set;
            foreach (var dependency in byId.TryGetValue(id, out var s) ? s.DependsOn : [])
            {
                set.Add(dependency);
                set.UnionWith(AncestorsOf(dependency));
            }

            return set;
        }

        var canaryStage = steps.Where(s => s.Stage == "stage-1").Select(s => s.Vm).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var hasCanaryGate = byId.ContainsKey("gate-canary");
        foreach (var vm in expected.MoveOfVm.Keys)
        {
            var first = steps.Where(s => s.Vm == vm).OrderBy(s => s.Start).ThenBy(s => s.Id, StringComparer.Ordinal).FirstOrDefault();
            if (first is null)
            {
                continue;
            }

            var before = AncestorsOf(first.Id);
            var move = expected.MoveOfVm[vm];
            foreach (var after in expected.AfterOfMove.GetValueOrDefault(move) ?? [])
            {
                foreach (var other in expected.MoveOfVm.Where(p => p.Value == after).Select(p => p.Key))
                {
                    var verify = steps.FirstOrDefault(s => s.Kind == "verify" && s.Vm == other);
                    if (verify is not null && !before.Contains(verify.Id))
                    {
                        problems.Add($"2: {first.Id} (move {move}) does not depend on {verify.Id} (move {after}) although {move} is after {after}");
                    }
                }
            }

            if (hasCanaryGate && !canaryStage.Contains(vm) && !before.Contains("gate-canary"))
            {
                problems.Add($"2: {first.Id} does not wait for the canary stage");
            }
        }
    }

    // 3. At every instant, data-moving steps respect the cluster, node and link limits and link bandwidth.
    private static void CheckLimits(JsonElement root, List<Step> steps, List<string> problems)
    {
        var limits = root.GetProperty("limits");
        var perCluster = limits.GetProperty("perCluster").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        var perNode = limits.GetProperty("perNode").GetInt32();
        var perLink = limits.GetProperty("perLink").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        var linkBandwidth = limits.GetProperty("linkBandwidthBps").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        var events = steps.Where(s => s.Kind is "migrate" or "replicate-storage")
            .SelectMany(s => new[] { (Time: s.Start, Delta: +1, Step: s), (Time: s.End, Delta: -1, Step: s) })
            .OrderBy(e => e.Time).ThenBy(e => e.Delta) // ends before starts at the same instant: intervals are half-open
            .ToList();
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (time, delta, step) in events)
        {
            void Count(string key, long limit, long amount)
            {
                counts[key] = counts.GetValueOrDefault(key) + delta * amount;
                if (delta > 0 && counts[key] > limit)
                {
                    problems.Add($"3: {key} at {time:O} is {counts[key]}, above {limit} (starting {step.Id})");
                }
            }

            Count("cluster " + step.FromCluster, perCluster[step.FromCluster!], 1);
            if (step.ToCluster != step.FromCluster)
            {
                Count("cluster " + step.ToCluster, perCluster[step.ToCluster!], 1);
            }

            if (step.FromNode is not null)
            {
                Count($"node {step.FromCluster}/{step.FromNode}", perNode, 1);
            }

            if (step.Link is not null)
            {
                Count("link " + step.Link, perLink[step.Link], 1);
                Count("bandwidth " + step.Link, linkBandwidth[step.Link], step.Bandwidth);
            }
        }
    }

    // 4. Every migrate step lies inside one window entry that applies to both its clusters.
    private static void CheckWindows(JsonElement root, List<Step> steps, List<string> problems)
    {
        var windows = root.GetProperty("windows").EnumerateArray().Select(w => (
            Start: Time(w.GetProperty("start")), End: Time(w.GetProperty("end")),
            Clusters: w.GetProperty("clusters").EnumerateArray().Select(c => c.GetString()!).ToList())).ToList();
        if (windows.Count == 0 && !root.GetProperty("stages").EnumerateArray().Any(s => s.GetProperty("window").ValueKind != JsonValueKind.Null))
        {
            return; // the plan has no windows: time is always open
        }

        foreach (var step in steps.Where(s => s.Kind == "migrate"))
        {
            var fits = windows.Any(w => w.Start <= step.Start && step.End <= w.End &&
                                        (w.Clusters.Contains("*") || w.Clusters.Contains(step.FromCluster!) && w.Clusters.Contains(step.ToCluster!)));
            if (!fits)
            {
                problems.Add($"4: {step.Id} [{step.Start:O}, {step.End:O}] is not inside one window for {step.FromCluster} and {step.ToCluster}");
            }
        }
    }

    // 5. predicted.seconds is the planned duration, and the bytes fit the bandwidth in that time.
    private static void CheckPredictions(List<Step> steps, List<string> problems)
    {
        foreach (var step in steps)
        {
            if (step.Seconds != (long)(step.End - step.Start).TotalSeconds)
            {
                problems.Add($"5: {step.Id} predicted {step.Seconds}s but is planned for {(step.End - step.Start).TotalSeconds}s");
            }

            if (step.Bandwidth > 0 && (double)step.Bytes / step.Bandwidth > step.Seconds + 1)
            {
                problems.Add($"5: {step.Id} sends {step.Bytes} bytes at {step.Bandwidth} B/s, more than {step.Seconds}s allow");
            }
        }
    }

    // 7. Arrays in a deterministic order.
    private static void CheckOrder(JsonElement root, List<Step> steps, List<string> problems)
    {
        var sorted = steps.OrderBy(s => s.Start).ThenBy(s => s.Id, StringComparer.Ordinal).Select(s => s.Id).ToList();
        if (!sorted.SequenceEqual(steps.Select(s => s.Id)))
        {
            problems.Add("7: steps are not sorted by plannedStart, then id");
        }

        foreach (var stage in root.GetProperty("stages").EnumerateArray())
        {
            var ids = stage.GetProperty("steps").EnumerateArray().Select(s => s.GetString()!).ToList();
            if (!ids.SequenceEqual(ids.Order(StringComparer.Ordinal)))
            {
                problems.Add($"7: steps of {stage.GetProperty("id").GetString()} are not sorted");
            }
        }
    }
}
