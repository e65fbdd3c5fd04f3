using System.Text.Json.Nodes;
using Reconcile.Compiler.Execution;
using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Model;

namespace Reconcile.Reconciler.Execution;

/// <summary>What a pass did: log lines ("time text") and the Kubernetes Events to record on the run.</summary>
internal sealed class PassEvents(DateTime now)
{
    public List<string> Lines { get; } = [];

    public List<(string Reason, bool Warning, string Message)> Recorded { get; } = [];

    public void Add(string reason, bool warning, string message)
    {
        Lines.Add($"{StepState.Time(now)} {message}");
        Recorded.Add((reason, warning, message));
    }
}

/// <summary>The MigrationRun's status: its conditions from the steps' states, and how it is written.</summary>
internal static class RunStatus
{
    public static List<Condition> Conditions(IReadOnlyDictionary<string, StepState> state, RunPolicy policy, bool stalled, bool suspended, DateTime now)
    {
        var rollbacks = state.Values.Where(s => Conventions.IsRollback(s.Id)).ToList();
        var forward = state.Values.Where(s => !Conventions.IsRollback(s.Id)).ToList();
        var done = forward.Count(s => s.IsDone);
        var total = forward.Count;
        var running = state.Values.Count(s => s.Phase == StepPhase.Running);
        var finished = done == total;
        var rollbackNote = rollbacks.Count == 0 ? "" : rollbacks.All(r => r.Phase == StepPhase.Succeeded)
            ? $"; rolled back {rollbacks.Count} migration(s)"
            : $"; rolling back: {rollbacks.Count(r => r.Phase == StepPhase.Succeeded)} of {rollbacks.Count} migration(s) reversed, {rollbacks.Count(r => r.Phase == StepPhase.Failed)} failed";
        return
        [
            new("Ready", finished, finished ? "Completed" : "InProgress", $"{done} of {total} steps done", now),
            new("Progressing", running > 0, running > 0 ? "StepsRunning" : "Idle", $"{running} steps running", now),
            new("Stalled", stalled, !stalled ? "None" : rollbacks.Count > 0 && rollbacks.All(r => r.Phase == StepPhase.Succeeded) ? "RolledBack" : "StepFailed",
                stalled ? $"{forward.Count(s => s.Phase == StepPhase.Failed)} step(s) failed; strategy.onFailure is {policy.OnFailure}{rollbackNote}" : "no failed steps", now),
            new("Suspended", suspended, suspended ? "Suspended" : "Active", suspended ? "spec.suspend is true: nothing new starts" : "running", now),
        ];
    }

    public static JsonArray Steps(IReadOnlyDictionary<string, StepState> state) =>
        new([.. state.Values.OrderBy(s => s.Id, StringComparer.Ordinal).Select(s => (JsonNode)s.ToJson())]);

    /// <summary>A status patch of the steps alone (no read needed): written before a step's objects are made.</summary>
    public static JsonObject StepsPatch(string runName, IReadOnlyDictionary<string, StepState> state) => new()
    {
        ["apiVersion"] = Conventions.RunApiVersion,
        ["kind"] = Conventions.RunKind,
        ["metadata"] = new JsonObject { ["name"] = runName, ["namespace"] = Conventions.RunNamespace },
        ["status"] = new JsonObject { ["steps"] = Steps(state) },
    };

    /// <summary>Condition times change only with the condition; compared without them, needless writes are avoided.</summary>
    public static bool SameIgnoringTimes(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(StripTimes(a), StripTimes(b));

    private static JsonNode? StripTimes(JsonNode? status)
    {
        var copy = status?.DeepClone();
        foreach (var condition in copy?["conditions"]?.AsArray() ?? [])
        {
            (condition as JsonObject)?.Remove("lastTransitionTime");
        }

        return copy;
    }
}
