using System.Text.Json.Nodes;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// The steps' states as this reconciler last wrote them into the MigrationRun, with the resourceVersion
/// the write produced. While the live run still has that resourceVersion nobody else has written it, so
/// its status is what was written: a pass then neither parses the status (20,000 steps for 10,000 VMs)
/// nor compares it as JSON, as an informer's cache spares a controller. Any other resourceVersion (a
/// restart, `kubectl patch`, another writer) falls back to reading the status itself.
/// </summary>
internal sealed class KnownRunState
{
    private string? resourceVersion;
    private Dictionary<string, StepState> steps = new(StringComparer.Ordinal);

    /// <summary>A copy of the written states when the live run is the one written; else null.</summary>
    public Dictionary<string, StepState>? StepsIfCurrent(JsonObject live) =>
        IsCurrent(live) ? new Dictionary<string, StepState>(steps, StringComparer.Ordinal) : null;

    /// <summary>
    /// Whether the live run's steps equal <paramref name="state"/>: against the states written when it is the run
    /// written, else against what its status lists (<paramref name="listed"/> when the caller has read it already).
    /// </summary>
    public bool SameSteps(JsonObject live, IReadOnlyDictionary<string, StepState> state, IReadOnlyList<StepState>? listed = null)
    {
        if (IsCurrent(live))
        {
            return steps.Count == state.Count && state.All(s => steps.TryGetValue(s.Key, out var known) && known == s.Value);
        }

        return (listed ?? RunStepRecords.Read(live["status"])).SequenceEqual(RunStepRecords.ListedInOrder(state));
    }

    /// <summary>Records what a status write left in the cluster.</summary>
    public void Remember(JsonObject written, IReadOnlyDictionary<string, StepState> state)
    {
        resourceVersion = ResourceVersion(written);
        steps = new Dictionary<string, StepState>(state, StringComparer.Ordinal);
    }

    /// <summary>Records a live run found to hold <paramref name="state"/> (after a restart or another writer), so later passes need not read it.</summary>
    public void Confirm(JsonObject live, IReadOnlyDictionary<string, StepState> state)
    {
        if (!IsCurrent(live))
        {
            Remember(live, state);
        }
    }

    private bool IsCurrent(JsonObject live) => resourceVersion is not null && ResourceVersion(live) == resourceVersion;

    private static string? ResourceVersion(JsonObject run) => run["metadata"]?["resourceVersion"]?.GetValue<string>();
}
