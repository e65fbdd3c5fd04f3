using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Diffing;

/// <summary>Renders a <see cref="CampaignDiff"/> as plain text, as Markdown for a pull-request comment, or as JSON.</summary>
public static class DiffWriter
{
    public static string Text(CampaignDiff diff)
    {
        var text = new StringBuilder();
        text.Append($"Campaign diff {diff.Base} -> {diff.Head}\n");
        if (diff.IsEmpty)
        {
            text.Append("No changes to diagnostics, schedule, windows, limits or manifests.\n");
            return text.ToString();
        }

        foreach (var line in SummaryLines(diff))
        {
            text.Append("  ").Append(line).Append('\n');
        }

        if (diff.Diagnostics.Count > 0)
        {
            text.Append("\nDiagnostics\n");
            foreach (var change in diff.Diagnostics)
            {
                text.Append(change.Kind == ChangeKind.Added ? "  new      " : "  resolved ").Append(Describe(change.Diagnostic)).Append('\n');
            }
        }

        foreach (var plan in diff.Plans)
        {
            text.Append($"\nPlan {plan.Plan}{Presence(plan)}\n");
            text.Append($"  makespan     {Seconds(plan.BaseMakespanSeconds)} -> {Seconds(plan.HeadMakespanSeconds)}\n");
            text.Append($"  lower bound  {Seconds(plan.BaseLowerBoundSeconds)} -> {Seconds(plan.HeadLowerBoundSeconds)}\n");
            foreach (var vm in plan.Vms)
            {
                text.Append("  ").Append(Describe(vm, diff.Threshold)).Append('\n');
            }

            foreach (var window in plan.Windows)
            {
                text.Append("  window ").Append(Describe(window)).Append('\n');
            }

            foreach (var limit in plan.Limits)
            {
                text.Append("  limit ").Append(Describe(limit)).Append('\n');
            }
        }

        if (diff.Files.Count > 0)
        {
            text.Append("\nManifests\n");
            foreach (var file in diff.Files)
            {
                text.Append(file.Unified);
            }
        }

        return text.ToString();
    }

    public static string Markdown(CampaignDiff diff)
    {
        var md = new StringBuilder();
        md.Append($"### Reconcile: campaign diff `{diff.Base}` → `{diff.Head}`\n\n");
        if (diff.IsEmpty)
        {
            md.Append("No changes to diagnostics, schedule, windows, limits or manifests.\n");
            return md.ToString();
        }

        md.Append("| | |\n| --- | --- |\n");
        foreach (var (label, value) in SummaryRows(diff))
        {
            md.Append($"| {label} | {Cell(value)} |\n");
        }

        if (diff.Diagnostics.Count > 0)
        {
            md.Append("\n<details><summary>Diagnostics (").Append(diff.Diagnostics.Count).Append(")</summary>\n\n");
            md.Append("| | code | where | message |\n| --- | --- | --- | --- |\n");
            foreach (var change in diff.Diagnostics)
            {
                var d = change.Diagnostic;
                md.Append($"| {(change.Kind == ChangeKind.Added ? "new" : "resolved")} | {d.Code} {d.Severity.ToString().ToLowerInvariant()} | `{d.Location}` | {Cell(d.Message)} |\n");
            }

            md.Append("\n</details>\n");
        }

        foreach (var plan in diff.Plans)
        {
            md.Append($"\n<details open><summary>Plan <code>{plan.Plan}</code>{Presence(plan)}</summary>\n\n");
            md.Append("| | base | head |\n| --- | --- | --- |\n");
            md.Append($"| makespan | {Seconds(plan.BaseMakespanSeconds)} | {Seconds(plan.HeadMakespanSeconds)} |\n");
            md.Append($"| lower bound | {Seconds(plan.BaseLowerBoundSeconds)} | {Seconds(plan.HeadLowerBoundSeconds)} |\n");
            if (plan.Vms.Count > 0)
            {
                md.Append("\n| VM | change | stage | start | end |\n| --- | --- | --- | --- | --- |\n");
                foreach (var vm in plan.Vms)
                {
                    md.Append($"| `{vm.Vm}` | {Kind(vm)} | {StageCell(vm)} | {TimeCell(vm.BaseStart, vm.HeadStart)} | {TimeCell(vm.BaseEnd, vm.HeadEnd)} |\n");
                }
            }

            foreach (var (title, settings) in new[] { ("Windows", plan.Windows), ("Limits", plan.Limits) }.Where(s => s.Item2.Count > 0))
            {
                md.Append($"\n| {title} | base | head |\n| --- | --- | --- |\n");
                foreach (var setting in settings)
                {
                    md.Append($"| {Cell(setting.Name)} | {Cell(setting.Before ?? "—")} | {Cell(setting.After ?? "—")} |\n");
                }
            }

            md.Append("\n</details>\n");
        }

        if (diff.Files.Count > 0)
        {
            md.Append($"\n<details><summary>Manifests ({diff.Files.Count} files)</summary>\n");
            foreach (var file in diff.Files)
            {
                md.Append($"\n`{file.Path}` ({file.Kind.ToString().ToLowerInvariant()})\n\n```diff\n").Append(file.Unified).Append("```\n");
            }

            md.Append("\n</details>\n");
        }

        return md.ToString();
    }

    public static string Json(CampaignDiff diff)
    {
        var root = new JsonObject
        {
            ["base"] = diff.Base,
            ["head"] = diff.Head,
            ["thresholdSeconds"] = (long)diff.Threshold.TotalSeconds,
            ["baseHasErrors"] = diff.BaseHasErrors,
            ["headHasErrors"] = diff.HeadHasErrors,
            ["diagnostics"] = new JsonArray([.. diff.Diagnostics.Select(c => (JsonNode)new JsonObject
            {
                ["change"] = c.Kind == ChangeKind.Added ? "new" : "resolved",
                ["code"] = c.Diagnostic.Code,
                ["severity"] = c.Diagnostic.Severity.ToString().ToLowerInvariant(),
                ["file"] = c.Diagnostic.Location.File,
                ["line"] = c.Diagnostic.Location.Line,
                ["column"] = c.Diagnostic.Location.Column,
                ["message"] = c.Diagnostic.Message,
            })]),
            ["plans"] = new JsonArray([.. diff.Plans.Select(p => (JsonNode)new JsonObject
            {
                ["plan"] = p.Plan,
                ["presence"] = p.Presence?.ToString().ToLowerInvariant(),
                ["makespanSeconds"] = Pair(p.BaseMakespanSeconds, p.HeadMakespanSeconds),
                ["lowerBoundSeconds"] = Pair(p.BaseLowerBoundSeconds, p.HeadLowerBoundSeconds),
                ["vms"] = new JsonArray([.. p.Vms.Select(v => (JsonNode)new JsonObject
                {
                    ["vm"] = v.Vm,
                    ["change"] = Kind(v),
                    ["stage"] = new JsonObject { ["base"] = v.BaseStage, ["head"] = v.HeadStage },
                    ["start"] = new JsonObject { ["base"] = Time(v.BaseStart), ["head"] = Time(v.HeadStart) },
                    ["end"] = new JsonObject { ["base"] = Time(v.BaseEnd), ["head"] = Time(v.HeadEnd) },
                })]),
                ["windows"] = Settings(p.Windows),
                ["limits"] = Settings(p.Limits),
            })]),
            ["manifests"] = new JsonArray([.. diff.Files.Select(f => (JsonNode)new JsonObject
            {
                ["path"] = f.Path,
                ["change"] = f.Kind.ToString().ToLowerInvariant(),
                ["diff"] = f.Unified,
            })]),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonObject Pair(long? before, long? after) => new() { ["base"] = before, ["head"] = after };

    private static JsonArray Settings(IReadOnlyList<SettingChange> settings) =>
        new([.. settings.Select(s => (JsonNode)new JsonObject { ["name"] = s.Name, ["base"] = s.Before, ["head"] = s.After })]);

    /// <summary>One line per kind of change, shared by text and Markdown.</summary>
    private static IEnumerable<string> SummaryLines(CampaignDiff diff) => SummaryRows(diff).Select(r => $"{r.Label}: {r.Value}");

    private static IEnumerable<(string Label, string Value)> SummaryRows(CampaignDiff diff)
    {
        if (diff.HeadHasErrors)
        {
            yield return ("Head", "has errors: nothing of it can be applied");
        }

        var added = diff.Diagnostics.Count(d => d.Kind == ChangeKind.Added);
        var resolved = diff.Diagnostics.Count - added;
        yield return ("Diagnostics", $"{added} new, {resolved} resolved");
        foreach (var plan in diff.Plans)
        {
            var parts = new List<string>();
            if (plan.Presence is { } presence)
            {
                parts.Add(presence == ChangeKind.Added ? "new plan" : "plan removed");
            }

            parts.Add($"makespan {Seconds(plan.BaseMakespanSeconds)} -> {Seconds(plan.HeadMakespanSeconds)}{Delta(plan.BaseMakespanSeconds, plan.HeadMakespanSeconds)}");
            var moved = plan.Vms.Count(v => v.StageChanged);
            var shifted = plan.Vms.Count(v => v.Kind == ChangeKind.Changed && !v.StageChanged);
            var vms = new[]
            {
                (plan.Vms.Count(v => v.Kind == ChangeKind.Added), "added"), (plan.Vms.Count(v => v.Kind == ChangeKind.Removed), "removed"),
                (moved, "moved to another stage"), (shifted, $"shifted by {Quantities.FormatDuration(diff.Threshold)} or more"),
            }.Where(p => p.Item1 > 0).Select(p => $"{p.Item1} VM{(p.Item1 == 1 ? "" : "s")} {p.Item2}");
            parts.AddRange(vms);
            if (plan.Windows.Count > 0)
            {
                parts.Add($"{plan.Windows.Count} window{(plan.Windows.Count == 1 ? "" : "s")} changed");
            }

            if (plan.Limits.Count > 0)
            {
                parts.Add($"{plan.Limits.Count} limit{(plan.Limits.Count == 1 ? "" : "s")} changed");
            }

            yield return ($"Plan {plan.Plan}", string.Join("; ", parts));
        }

        yield return ("Manifests", diff.BaseHasErrors || diff.HeadHasErrors
            ? "not compared (a revision has errors)"
            : $"{diff.Files.Count(f => f.Kind == ChangeKind.Added)} added, {diff.Files.Count(f => f.Kind == ChangeKind.Removed)} removed, {diff.Files.Count(f => f.Kind == ChangeKind.Changed)} changed");
    }

    private static string Describe(Diagnostics.Diagnostic d) => $"{d.Location}: {d.Severity.ToString().ToLowerInvariant()} {d.Code}: {d.Message}";

    private static string Describe(VmChange vm, TimeSpan threshold) => vm.Kind switch
    {
        ChangeKind.Added => $"VM {vm.Vm} added in stage {vm.HeadStage}, {Time(vm.HeadStart)} .. {Time(vm.HeadEnd)}",
        ChangeKind.Removed => $"VM {vm.Vm} removed (was in stage {vm.BaseStage})",
        _ => $"VM {vm.Vm}{(vm.StageChanged ? $" moved from stage {vm.BaseStage} to {Later(vm)} stage {vm.HeadStage}" : "")}" +
             $"; starts {Shift(vm.StartShift)}, ends {Shift(vm.EndShift)}",
    };

    private static string Later(VmChange vm) => vm.StageOrderChange > 0 ? "later" : vm.StageOrderChange < 0 ? "earlier" : "parallel";

    private static string Kind(VmChange vm) => vm.Kind switch
    {
        ChangeKind.Added => "added",
        ChangeKind.Removed => "removed",
        _ when vm.StageChanged => $"moved to {Later(vm)} stage",
        _ => "shifted",
    };

    private static string StageCell(VmChange vm) => vm.BaseStage == vm.HeadStage ? vm.HeadStage ?? "—" : $"{vm.BaseStage ?? "—"} → {vm.HeadStage ?? "—"}";

    private static string TimeCell(DateTime? before, DateTime? after) =>
        before is { } a && after is { } b ? $"{Time(b)} ({Shift(b - a)})" : Time(after ?? before);

    private static string Describe(SettingChange setting) => setting.Kind switch
    {
        ChangeKind.Added => $"{setting.Name} added: {setting.After}",
        ChangeKind.Removed => $"{setting.Name} removed (was {setting.Before})",
        _ => $"{setting.Name}: {setting.Before} -> {setting.After}",
    };

    private static string Presence(PlanDiff plan) => plan.Presence switch
    {
        ChangeKind.Added => " (new)",
        ChangeKind.Removed => " (removed)",
        _ => "",
    };

    private static string Shift(TimeSpan? shift) => shift switch
    {
        null => "—",
        { } s when s == TimeSpan.Zero => "unchanged",
        { } s when s > TimeSpan.Zero => $"{Quantities.FormatDuration(s)} later",
        { } s => $"{Quantities.FormatDuration(s.Negate())} earlier",
    };

    private static string Delta(long? before, long? after) =>
        before is { } a && after is { } b && a != b ? $" ({(b > a ? "+" : "-")}{Quantities.FormatSeconds(Math.Abs(b - a))})" : "";

    private static string Seconds(long? seconds) => seconds is { } s ? Quantities.FormatSeconds(s) : "—";

    private static string Time(DateTime? time) => time is { } t ? Planning.GraphWriter.Time(t) : "—";

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
