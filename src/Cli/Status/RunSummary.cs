using System.Globalization;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Facts;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Cli.Status;

/// <summary>One stage of a run: its steps by phase, planned against actual, and how far it is behind (negative: ahead).</summary>
public sealed record StageSummary(string Name, int Steps, int Done, int Running, int Failed,
    DateTime? PlannedStart, DateTime? PlannedEnd, DateTime? ActualStart, DateTime? ActualEnd, TimeSpan? Behind);

/// <summary>
/// What `reconcile status` says about one MigrationRun, read from the run alone: its spec (the plan's
/// planned stages and time zone, written by compile) and its status (written by the reconciler).
/// </summary>
public sealed record RunSummary(string Name, string Plan, string? Revision, string TimeZone, int Steps, int Done, int Running, int Failed,
    string Ready, string Stalled, string Suspended, string? CurrentStage, DateTime? NextWindow, DateTime? PlannedEnd, DateTime? Eta,
    TimeSpan? Behind, IReadOnlyList<StageSummary> Stages, IReadOnlyList<(string Id, string Message)> Problems)
{
    public static RunSummary Of(JsonObject run, DateTime now)
    {
        var spec = run["spec"];
        var status = run["status"];
        var steps = RunStepRecords.Read(status).Where(s => !Conventions.IsRollback(s.Id)).ToList();
        var planned = (spec?["stages"] as JsonArray ?? []).OfType<JsonObject>()
            .ToDictionary(s => s["name"]?.GetValue<string>() ?? "", s => (Start: Time(s["plannedStart"]), End: Time(s["plannedEnd"])), StringComparer.Ordinal);
        var byStage = steps.ToLookup(s => s.Stage ?? "-");
        var stages = RunStepRecords.ReadStages(status).Select(stage =>
        {
            var (start, end) = planned.GetValueOrDefault(stage.Name);
            var started = byStage[stage.Name].Select(s => s.StartTime).OfType<DateTime>().ToList();
            var actualStart = started.Count > 0 ? started.Min() : (DateTime?)null;
            var ended = byStage[stage.Name].Select(s => s.EndTime).OfType<DateTime>().ToList();
            DateTime? actualEnd = stage.Done == stage.Steps && ended.Count > 0 ? ended.Max() : null;
            return new StageSummary(stage.Name, stage.Steps, stage.Done, stage.Running, stage.Failed, start, end, actualStart, actualEnd, Lag(start, end, actualStart, actualEnd, now));
        }).ToList();

        // The campaign is as late as its latest stage that says anything; the planned end moves by as much.
        var behind = stages.LastOrDefault(s => s.Behind is not null)?.Behind;
        var ends = planned.Values.Select(p => p.End).OfType<DateTime>().ToList();
        DateTime? plannedEnd = ends.Count > 0 ? ends.Max() : null;
        var finished = stages.Count > 0 && stages.All(s => s.Done == s.Steps);
        var eta = finished ? stages.Select(s => s.ActualEnd).Max() : plannedEnd + (behind ?? TimeSpan.Zero);
        return new RunSummary(
            run["metadata"]?["name"]?.GetValue<string>() ?? "", spec?["plan"]?.GetValue<string>() ?? "", status?["observedRevision"]?.GetValue<string>(),
            spec?["timeZone"]?.GetValue<string>() ?? "UTC", stages.Count > 0 ? stages.Sum(s => s.Steps) : RunStepRecords.GraphSteps(run) ?? steps.Count,
            stages.Sum(s => s.Done), stages.Sum(s => s.Running), stages.Sum(s => s.Failed),
            Condition(run, "Ready"), Condition(run, "Stalled"), Condition(run, "Suspended"), status?["currentStage"]?.GetValue<string>(), Time(status?["nextWindow"]),
            plannedEnd, eta, behind, stages,
            [.. steps.Where(s => s.Phase == StepPhase.Failed || s.Message is not null && s.Phase == StepPhase.Pending).Select(s => (s.Id, s.Message ?? ""))]);
    }

    /// <summary>How late a stage is: at its end once done, at its start once started, and by now when it should have started.</summary>
    private static TimeSpan? Lag(DateTime? plannedStart, DateTime? plannedEnd, DateTime? actualStart, DateTime? actualEnd, DateTime now) =>
        (plannedStart, plannedEnd, actualStart, actualEnd) switch
        {
            (_, { } end, _, { } done) => done - end,
            ({ } start, { } end, { } started, null) => now > end ? now - end : started - start,
            ({ } start, _, null, null) when now > start => now - start,
            _ => null,
        };

    private static DateTime? Time(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) &&
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time) ? time : null;

    private static string Condition(JsonObject run, string type) =>
        run["status"]?["conditions"]?.AsArray().FirstOrDefault(c => c?["type"]?.GetValue<string>() == type)?["status"]?.GetValue<string>() ?? "Unknown";
}
