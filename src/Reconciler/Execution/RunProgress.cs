using System.Globalization;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Planning;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// What `kubectl get mrun` shows without a plugin (the CRD's printer columns): the stage under way, the
/// steps done of all, and when the next window opens for the next data-moving step that waits for one.
/// </summary>
public sealed record RunProgress(string? CurrentStage, string Progress, DateTime? NextWindow)
{
    /// <summary>The status fields, merged into the run's status summary.</summary>
    public void WriteTo(JsonObject status)
    {
        status["currentStage"] = CurrentStage;
        status["progress"] = Progress;
        status["nextWindow"] = NextWindow?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    /// <param name="stages">The run's stage sums (<see cref="RunStepRecords.Stages"/>), in the graph's order.</param>
    public static RunProgress Of(CompiledCampaign campaign, IReadOnlyDictionary<string, StepState> state, JsonArray stages, DateTime now)
    {
        var sums = stages.OfType<JsonNode>().Select(StageProgress.FromJson).ToList();
        var current = sums.FirstOrDefault(s => s.Done < s.Steps)?.Name;
        var progress = $"{sums.Sum(s => s.Done)}/{sums.Sum(s => s.Steps)}";
        return new RunProgress(current, progress, NextOpening(campaign, state, now));
    }

    /// <summary>
    /// The next opening of an allow window for the first data-moving step (in start order) still pending
    /// whose window is shut now; null when no window is declared or none waits.
    /// </summary>
    private static DateTime? NextOpening(CompiledCampaign campaign, IReadOnlyDictionary<string, StepState> state, DateTime now)
    {
        var windows = campaign.Policy.Windows;
        if (windows.Allow.IsEmpty)
        {
            return null;
        }

        foreach (var step in campaign.StartOrder.Where(s => s.Kind is StepKind.Migrate or StepKind.ReplicateStorage && !Conventions.IsRollback(s.Id)))
        {
            if (state.GetValueOrDefault(step.Id)?.Phase != StepPhase.Pending)
            {
                continue;
            }

            var clusters = new[] { step.From!.Cluster, step.To?.Cluster ?? step.From.Cluster }.Distinct().Order(StringComparer.Ordinal).ToList();
            var occurrences = WindowCalendar.Expand(windows, clusters, now.AddDays(-1), TimeSpan.FromDays(15));
            return occurrences.Any(w => w.Start <= now && now < w.End) ? null : occurrences.FirstOrDefault(w => w.Start > now)?.Start;
        }

        return null;
    }
}
