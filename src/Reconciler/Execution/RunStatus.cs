using System.Text.Json.Nodes;
using Reconcile.Compiler.Execution;
using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Reconciler.Clusters;

namespace Reconcile.Reconciler.Execution;

/// <summary>What a pass did: log lines ("time text") and the Kubernetes Events to record on the run.</summary>
internal sealed class PassEvents(DateTime now)
{
    public List<string> Lines { get; } = [];

    public List<(string Reason, bool Warning, string Message)> Recorded { get; } = [];

    /// <summary>What happened to steps this pass, typed, for the reconciler's metrics.</summary>
    public List<StepTransition> Transitions { get; } = [];

    public void Add(string reason, bool warning, string message)
    {
        Lines.Add($"{StepState.Time(now)} {message}");
        Recorded.Add((reason, warning, message));
    }

    /// <param name="started">When the attempt began; with it the transition carries how long the attempt took.</param>
    public void Step(GraphStep step, StepTransitionKind kind, DateTime? started = null, bool overranWindow = false) =>
        Transitions.Add(new StepTransition(step, kind, started is { } at ? (now - at).TotalSeconds : null, overranWindow));
}

/// <summary>The MigrationRun's status: its conditions from the steps' states, and how it is written.</summary>
/// <summary>
/// What the GitOps loop knows about revisions, for the run's status (Flux's meanings): the last one it
/// tried, why it was refused, or why applying it failed.
/// </summary>
public sealed record RevisionReport(string? LastAttempted, string? Refused, string? ApplyError)
{
    public static RevisionReport None { get; } = new(null, null, null);
}

internal static class RunStatus
{
    /// <param name="rollbackRequested">spec.rollback is set: the run is stalled by the operator's request, not by failures.</param>
    public static List<Condition> Conditions(IReadOnlyDictionary<string, StepState> state, RunPolicy policy, bool stalled, bool suspended, RevisionReport revisions, DateTime now, bool rollbackRequested = false)
    {
        // One walk of the states (this runs on every pass); the rollback steps are few.
        var rollbacks = new List<StepState>();
        var (done, total, running, failedForward) = (0, 0, 0, 0);
        foreach (var s in state.Values)
        {
            running += s.Phase == StepPhase.Running ? 1 : 0;
            if (Conventions.IsRollback(s.Id))
            {
                rollbacks.Add(s);
                continue;
            }

            total++;
            done += s.IsDone ? 1 : 0;
            failedForward += s.Phase == StepPhase.Failed ? 1 : 0;
        }

        var finished = done == total;
        var rollbackNote = rollbacks.Count == 0 ? "" : rollbacks.All(r => r.Phase == StepPhase.Succeeded)
            ? $"; rolled back {rollbacks.Count} migration(s)"
            : $"; rolling back: {rollbacks.Count(r => r.Phase == StepPhase.Succeeded)} of {rollbacks.Count} migration(s) reversed, {rollbacks.Count(r => r.Phase == StepPhase.Failed)} failed";
        var progress = $"{done} of {total} steps done";
        var stepsStalled = !stalled ? null : rollbackRequested ? $"rollback requested (spec.rollback){(rollbackNote.Length > 0 ? rollbackNote : "; nothing migrated yet")}"
            : $"{failedForward} step(s) failed; strategy.onFailure is {policy.OnFailure}{rollbackNote}";
        var (readyReason, readyMessage) = revisions switch
        {
            { Refused: { } refused } => ("RevisionRefused", $"{refused}; {progress}"),
            { ApplyError: { } error } => ("ApplyFailed", $"{error}; {progress}"),
            _ when stalled => (rollbacks.Count > 0 || rollbackRequested ? "RollingBack" : "StepFailed", stepsStalled!),
            _ => (finished ? "Succeeded" : "Progressing", progress),
        };
        var reconciling = running > 0 || revisions.ApplyError is not null;
        var stalledReason = revisions.Refused is not null ? "RevisionRefused"
            : !stalled ? "None" : rollbacks.Count > 0 && rollbacks.All(r => r.Phase == StepPhase.Succeeded) || rollbackRequested && rollbacks.Count == 0 ? "RolledBack"
            : rollbackRequested ? "RollingBack" : "StepFailed";
        return
        [
            new("Ready", finished && revisions.Refused is null && revisions.ApplyError is null, readyReason, readyMessage, now),
            new("Reconciling", reconciling, reconciling ? "Progressing" : "Idle",
                revisions.ApplyError ?? $"{running} steps running", now),
            new("Stalled", stalled || revisions.Refused is not null, stalledReason, revisions.Refused ?? stepsStalled ?? "no failed steps", now),
            new("Suspended", suspended, suspended ? "Suspended" : "Active", suspended ? "spec.suspend is true: nothing new starts" : "running", now),
        ];
    }

    /// <summary>
    /// A pass a cluster's API errors held back: Ready turns False with reason ClusterUnreachable (and
    /// Reconciling True) on the run, when its own cluster answers; the steps' states are left as they are.
    /// </summary>
    public static async Task ReportHeldBackAsync(IClusterGateway home, string runName, string message, DateTime now, CancellationToken cancel)
    {
        if (await home.GetAsync(Conventions.RunApiVersion, Conventions.RunKind, Conventions.RunNamespace, runName, cancel) is not { } live || live["status"] is not JsonObject status)
        {
            return;
        }

        var conditions = (status["conditions"]?.AsArray() ?? []).OfType<JsonObject>().Select(c => (JsonObject)c.DeepClone())
            .Where(c => c["type"]?.GetValue<string>() is not ("Ready" or "Reconciling")).ToList();
        conditions.Insert(0, new Condition("Ready", false, "ClusterUnreachable", message, now).ToJson());
        conditions.Insert(1, new Condition("Reconciling", true, "ClusterUnreachable", message, now).ToJson());
        status["conditions"] = new JsonArray([.. conditions]);
        await home.ApplyStatusAsync(live, cancel);
    }

    /// <summary>The states ordered by id: the graph's steps in their presorted order, merged with the (few) rollback steps.</summary>
    public static List<StepState> InIdOrder(CompiledCampaign campaign, IReadOnlyDictionary<string, StepState> state)
    {
        // Every state is a graph step or a rollback step (ReadState keeps nothing else): only the latter are looked up.
        var extra = state.Keys.Where(id => Conventions.IsRollback(id) && !campaign.HasStep(id)).Order(StringComparer.Ordinal).ToList();
        var ordered = new List<StepState>(state.Count);
        var next = 0;
        foreach (var id in campaign.IdOrder)
        {
            for (; next < extra.Count && string.CompareOrdinal(extra[next], id) < 0; next++)
            {
                ordered.Add(state[extra[next]]);
            }

            ordered.Add(state[id]);
        }

        ordered.AddRange(extra.Skip(next).Select(id => state[id]));
        return ordered;
    }

    /// <summary>A status patch of the steps alone (no read needed): written before a step's objects are made.</summary>
    public static JsonObject StepsPatch(string runName, IReadOnlyDictionary<string, StepState> state) => new()
    {
        ["apiVersion"] = Conventions.RunApiVersion,
        ["kind"] = Conventions.RunKind,
        ["metadata"] = new JsonObject { ["name"] = runName, ["namespace"] = Conventions.RunNamespace },
        ["status"] = StepsOnly(state),
    };

    private static JsonObject StepsOnly(IReadOnlyDictionary<string, StepState> state)
    {
        var status = new JsonObject();
        RunStepRecords.Write(status, state);
        return status;
    }

    /// <summary>The run's status but its steps: revisions, generation, conditions, progress per stage.</summary>
    public static JsonObject Summary(string appliedRevision, string lastAttempted, long generation, IEnumerable<Condition> conditions, JsonArray stages) => new()
    {
        ["stages"] = stages,
        ["observedRevision"] = appliedRevision,
        ["lastAppliedRevision"] = appliedRevision,
        ["lastAttemptedRevision"] = lastAttempted,
        ["observedGeneration"] = generation,
        ["conditions"] = new JsonArray([.. conditions.Select(c => (JsonNode)c.ToJson())]),
    };

    /// <summary>
    /// Whether the live status says what <paramref name="summary"/> says, steps aside (KnownRunState compares
    /// those). Condition times change only with the condition; compared without them, needless writes are avoided.
    /// </summary>
    public static bool SameSummaryIgnoringTimes(JsonNode? live, JsonObject summary) =>
        live is JsonObject status && summary.All(field => field.Key == "conditions"
            ? JsonNode.DeepEquals(WithoutTimes(status["conditions"]), WithoutTimes(field.Value))
            : JsonNode.DeepEquals(status[field.Key], field.Value))
        && status.Select(field => field.Key).All(key => key is "steps" or "compressedSteps" || summary.ContainsKey(key));

    private static JsonArray WithoutTimes(JsonNode? conditions) => new([.. (conditions as JsonArray ?? []).Select(condition =>
    {
        var copy = condition?.DeepClone();
        (copy as JsonObject)?.Remove("lastTransitionTime");
        return copy;
    })]);
}
