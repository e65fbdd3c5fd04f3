using System.Globalization;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Facts;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// A WindowMissed Event (a Warning) when an allow window closes with data-moving steps the plan put in
/// it still waiting: suspended, held back by limits, behind a failure, or a reconciler that was down.
/// Each window is reported once (status.lastMissedWindow holds the end of the last one reported, so a
/// restart does not repeat it); where several closed unreported (a reconciler down for days), the
/// latest is reported and the earlier ones counted in its message.
/// </summary>
internal static class MissedWindows
{
    /// <summary>Records the Event; returns status.lastMissedWindow as it stands after the pass.</summary>
    public static string? Report(CompiledCampaign campaign, StepAdmission admission, IReadOnlyDictionary<string, StepState> state, JsonNode? before, DateTime now, PassEvents events)
    {
        var reported = before?["lastMissedWindow"]?.GetValue<string>();
        var since = reported is not null && DateTime.TryParse(reported, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at) ? at : DateTime.MinValue;
        var missed = campaign.Movers
            .Where(s => s.PlannedStart <= now && state[s.Id].Phase == StepPhase.Pending && !Conventions.IsRollback(s.Id))
            .Select(s => (Step: s, Window: admission.ClosedWindow(s, s.PlannedStart, now)))
            .Where(m => m.Window is { } window && window.End > since)
            .GroupBy(m => m.Window!)
            .OrderBy(g => g.Key.End)
            .ToList();
        if (missed.Count == 0)
        {
            return reported;
        }

        var latest = missed[^1];
        var steps = latest.Select(m => m.Step.Id).Order(StringComparer.Ordinal).ToList();
        var earlier = missed.Count > 1 ? $"; {missed.Count - 1} earlier window(s) closed the same way" : "";
        events.Add("WindowMissed", true,
            $"window {latest.Key.Name} ({StepState.Time(latest.Key.Start)} .. {StepState.Time(latest.Key.End)}) closed with {steps.Count} step(s) planned in it not started " +
            $"({string.Join(", ", steps.Take(3))}{(steps.Count > 3 ? ", …" : "")}){earlier}; they wait for the next window");
        return StepState.Time(latest.Key.End);
    }
}
