using System.Text.Json.Nodes;
using Reconcile.Compiler.Facts;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// The Kubernetes Events of a pass beyond single steps: a stage started or finished (from the stage sums
/// the run's status had before the pass and has after it), a rollback started, a revision refused.
/// </summary>
internal static class RunEvents
{
    public static void Stages(JsonNode? before, JsonArray after, PassEvents events)
    {
        var previous = RunStepRecords.ReadStages(before).ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var stage in after.OfType<JsonNode>().Select(StageProgress.FromJson))
        {
            var was = previous.GetValueOrDefault(stage.Name);
            var wasUnderway = was is not null && (was.Running > 0 || was.Done > 0 || was.Failed > 0);
            if (!wasUnderway && (stage.Running > 0 || stage.Done > 0))
            {
                events.Add("StageStarted", false, $"stage {stage.Name} started ({stage.Steps} steps)");
            }

            if (stage.Steps > 0 && stage.Done == stage.Steps && (was is null || was.Done < was.Steps))
            {
                events.Add("StageFinished", false, $"stage {stage.Name} finished ({stage.Steps} steps)");
            }
        }
    }

    /// <summary>The pass that turns to rolling back: the run was not stalled before it, and nothing was reversed yet.</summary>
    public static void RollbackStarting(JsonNode? before, IReadOnlyDictionary<string, StepState> state, PassEvents events)
    {
        var wasStalled = (before?["conditions"] as JsonArray ?? []).Any(c => c?["type"]?.GetValue<string>() == "Stalled" && c["status"]?.GetValue<string>() == "True");
        if (!wasStalled && !state.Keys.Any(Conventions.IsRollback))
        {
            events.Add("RollbackStarted", true, "rolling back: the campaign stalled and onFailure is Rollback; migrated VMs go back where they came from");
        }
    }

    /// <summary>A refusal the run's status does not record yet (a new revision was refused).</summary>
    public static void Refusal(JsonNode? before, RevisionReport revisions, PassEvents events)
    {
        if (revisions.Refused is { } why && before?["lastAttemptedRevision"]?.GetValue<string>() != revisions.LastAttempted)
        {
            events.Add("RevisionRefused", true, $"revision {revisions.LastAttempted} refused: {why}");
        }
    }
}
