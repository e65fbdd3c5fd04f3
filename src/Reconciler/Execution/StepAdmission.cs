using Reconcile.Compiler.Planning;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// Whether a data-moving step may start now: its window is open with room for its predicted duration,
/// and the graph's limits (per cluster, per source node, per link, per concurrency group) have room.
/// Snapshots, verification and gates are neither windowed nor limited.
/// </summary>
internal sealed class StepAdmission(CompiledCampaign campaign)
{
    private readonly Dictionary<(string From, string To, DateTime Day), IReadOnlyList<WindowOccurrence>> windowCache = [];

    /// <summary>Steps that move data are windowed and limited.</summary>
    public static bool Moves(GraphStep step) => step.Kind is StepKind.Migrate or StepKind.ReplicateStorage;

    public bool Windowed(GraphStep step) => step.Kind == StepKind.Migrate || step.Kind == StepKind.ReplicateStorage && !campaign.Policy.ReplicateOutsideWindows;

    /// <summary>The allow-window occurrence open at <paramref name="at"/> for the step's clusters, if any.</summary>
    public WindowOccurrence? OpenWindow(GraphStep step, DateTime at)
    {
        // The calendar is expanded once per pair of clusters and day, not once per step and pass.
        var key = (step.From!.Cluster, step.To?.Cluster ?? step.From.Cluster, at.Date);
        if (!windowCache.TryGetValue(key, out var occurrences))
        {
            var clusters = new[] { key.Item1, key.Item2 }.Distinct().Order(StringComparer.Ordinal).ToList();
            occurrences = WindowCalendar.Expand(campaign.Policy.Windows, clusters, at.Date.AddDays(-3), TimeSpan.FromDays(4));
            windowCache[key] = occurrences;
        }

        return occurrences.FirstOrDefault(w => w.Start <= at && at < w.End);
    }

    public bool WindowFits(GraphStep step, DateTime now) =>
        !Windowed(step) || campaign.Policy.Windows.Allow.IsEmpty ||
        OpenWindow(step, now) is { } window && (window.End - now).TotalSeconds >= step.Predicted.Seconds;

    /// <summary>Whether the window a running step started in has closed.</summary>
    public WindowOccurrence? ClosedWindow(GraphStep step, DateTime started, DateTime now) =>
        Windowed(step) && !campaign.Policy.Windows.Allow.IsEmpty && OpenWindow(step, started) is { } window && now >= window.End ? window : null;

    public bool LimitsAllow(GraphStep step, IReadOnlyCollection<GraphStep> running)
    {
        var limits = campaign.Graph.Limits;
        foreach (var cluster in new[] { step.From!.Cluster, step.To!.Cluster }.Distinct())
        {
            if (limits.PerCluster.TryGetValue(cluster, out var max) && running.Count(s => s.From!.Cluster == cluster || s.To!.Cluster == cluster) >= max)
            {
                return false;
            }
        }

        if (step.From.Node is { } node && running.Count(s => s.From!.Cluster == step.From.Cluster && s.From.Node == node) >= limits.PerNode)
        {
            return false;
        }

        if (step.Link is { } link && limits.PerLink.TryGetValue(link, out var perLink) && running.Count(s => s.Link == link) >= perLink)
        {
            return false;
        }

        // Groups: never more of a group's VMs moving at once than it allows (one VM's own steps count once).
        return campaign.Policy.Groups.Where(g => g.Vms.Contains(step.Vm!)).All(g =>
            running.Where(s => g.Vms.Contains(s.Vm!)).Select(s => s.Vm).Distinct().Count(v => v != step.Vm) < g.MaxConcurrent);
    }
}
