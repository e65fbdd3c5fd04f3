using System.Text.Json.Nodes;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// An operator's `reconcile retry PLAN STEP...`: spec.retry names the failed steps and when they were asked
/// for. The reconciler handles each request once (status.lastHandledRetry holds its time): the named
/// failed steps go back to Pending with their attempts reset, and the steps skipped because something
/// they depend on failed go back to Pending too (those still behind a failure are skipped again).
/// </summary>
internal static class RetryRequest
{
    /// <summary>Applies a request not handled yet; returns the time of the request in force, for status.lastHandledRetry.</summary>
    public static string? Apply(JsonObject live, Dictionary<string, StepState> state, PassEvents events)
    {
        var handled = live["status"]?["lastHandledRetry"]?.GetValue<string>();
        if (live["spec"]?["retry"] is not JsonObject retry || retry["requestedAt"]?.GetValue<string>() is not { } requestedAt || requestedAt == handled)
        {
            return handled;
        }

        var asked = (retry["steps"] as JsonArray ?? []).Select(s => s?.GetValue<string>()).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var retried = asked.Where(id => state.TryGetValue(id, out var s) && s.Phase is StepPhase.Failed or StepPhase.Cancelled).Order(StringComparer.Ordinal).ToList();
        foreach (var id in retried)
        {
            state[id] = state[id] with { Phase = StepPhase.Pending, Attempts = 0, StartTime = null, EndTime = null, RetryAfter = null, Message = "retry requested" };
        }

        foreach (var id in state.Keys.Where(id => state[id] is { Phase: StepPhase.Skipped, Message: CampaignExecutor.SkippedForFailure }).ToList())
        {
            state[id] = state[id] with { Phase = StepPhase.Pending, Message = null };
        }

        events.Add("RetryRequested", false, retried.Count > 0
            ? $"retrying {string.Join(", ", retried)} (requested {requestedAt})"
            : $"retry requested {requestedAt} for {string.Join(", ", asked)}: none of them has failed");
        return requestedAt;
    }
}
