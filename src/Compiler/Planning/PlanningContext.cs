using Reconcile.Compiler.Model;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler.Planning;

/// <summary>What every part of planning one MigrationPlan shares: the anchor, limits, bandwidth shares and window tables.</summary>
internal sealed class PlanningContext
{
    private readonly Dictionary<string, WindowTable> windowTables = new(StringComparer.Ordinal);

    public PlanningContext(PlanScope scope, DateTime anchor)
    {
        Scope = scope;
        Anchor = anchor;
        var parallelism = scope.Plan.Strategy.Parallelism;
        var clusters = scope.Topology?.Clusters ?? [];
        var links = scope.Topology?.Links ?? [];
        Limits = new SchedulingLimits(
            clusters.ToDictionary(c => c.Name, c => Math.Min(parallelism.PerCluster, c.Migration.ParallelMigrationsPerCluster), StringComparer.Ordinal),
            clusters.ToDictionary(c => c.Name, c => Math.Min(parallelism.PerNode, c.Migration.ParallelOutboundMigrationsPerNode), StringComparer.Ordinal),
            parallelism.PerLink,
            links.GroupBy(l => l.Id).ToDictionary(g => g.Key, g => g.First().BandwidthBitsPerSecond / 8, StringComparer.Ordinal),
            [.. scope.Plan.Groups.Select(g => g.MaxConcurrent)]);
    }

    public PlanScope Scope { get; }

    public DateTime Anchor { get; }

    public SchedulingLimits Limits { get; }

    /// <summary>
    /// Bytes per second one step on this hop is planned to use: bandwidthPerMigration, but never more
    /// than an equal share of the link among perLink steps, so that the link is never oversubscribed.
    /// Inside a cluster: bandwidthPerMigration within the cluster's migration network.
    /// </summary>
    public double Share(string from, string to)
    {
        var cap = Scope.Plan.Strategy.BandwidthPerMigrationBitsPerSecond is { } c && c > 0 ? c : long.MaxValue;
        if (from == to)
        {
            return Math.Min(cap, Scope.Cluster(from)?.Migration.BandwidthBitsPerSecond ?? 0) / 8;
        }

        var link = Scope.Topology?.FindLink(from, to);
        return link is null ? 0 : Math.Floor(Math.Min(cap, link.BandwidthBitsPerSecond / Limits.PerLink) / 8.0);
    }

    /// <summary>
    /// The bandwidth for a live migration on a link, in whole shares (link / perLink), and its prediction.
    /// An idle VM takes one share, so that perLink of them run side by side. A VM that dirties memory
    /// fast sends fewer bytes with more bandwidth (model-notes §1.2: parallelism on a shared link is not
    /// free for dirty VMs), so it takes the number of shares that holds the link for the least
    /// share-seconds, and at least enough to converge within KubeVirt's timeouts and to fit the longest
    /// window when that is possible.
    /// </summary>
    public (double BytesPerSecond, MigrationPrediction Prediction) BestShare(Vm vm, string from, string to, double diskBytes)
    {
        var unit = Share(from, to);
        var solo = SoloBandwidth(from, to);
        if (from == to || unit <= 0 || unit >= solo)
        {
            return (unit, MigrationEstimator.Migration(Scope, vm, from, to, unit, diskBytes));
        }

        var longestWindow = Windows(from, to).Longest;
        (double Bandwidth, MigrationPrediction Prediction, double Cost)? best = null;
        for (var shares = 1; shares <= Limits.PerLink; shares++)
        {
            var bandwidth = Math.Min(solo, Math.Floor(unit * shares));
            var prediction = MigrationEstimator.Migration(Scope, vm, from, to, bandwidth, diskBytes);
            var acceptable = prediction.Converges && prediction.Seconds <= longestWindow &&
                             !Semantics.Rules.TimeoutRule.Check(Scope, vm, Scope.OwnerOf(vm)!, prediction, diskBytes, bandwidth).Any();
            var cost = acceptable ? bandwidth * prediction.Seconds : double.PositiveInfinity;
            // Ties (within 2%) go to fewer shares: more migrations can then run side by side.
            // When no share is acceptable, the most bandwidth comes closest (and its diagnostics say why).
            if (best is null || cost < best.Value.Cost * 0.98 || double.IsPositiveInfinity(best.Value.Cost) && double.IsPositiveInfinity(cost))
            {
                best = (bandwidth, prediction, cost);
            }

            if (bandwidth >= solo)
            {
                break;
            }
        }

        return (best!.Value.Bandwidth, best.Value.Prediction);
    }

    /// <summary>The most one step on this hop could get if it ran alone (for the lower bound).</summary>
    public double SoloBandwidth(string from, string to) => MigrationEstimator.HopBytesPerSecond(Scope, from, to);

    public WindowTable Windows(string from, string to)
    {
        var clusters = from == to ? [from] : new[] { from, to }.Order(StringComparer.Ordinal).ToArray();
        var key = string.Join("~", clusters);
        if (!windowTables.TryGetValue(key, out var table))
        {
            table = new WindowTable(Scope.Plan.Windows, clusters, Anchor, Scope.Plan.Horizon);
            windowTables[key] = table;
        }

        return table;
    }

    /// <summary>The first priority class that selects the VM (a class without a selector takes every VM); 0 when none does.</summary>
    public int PriorityOf(Vm vm) =>
        Scope.Plan.Priorities.FirstOrDefault(p => p.Select is null || p.Select.Matches(vm))?.Value ?? 0;

    public int[] GroupsOf(Vm vm) =>
        [.. Scope.Plan.Groups.Select((g, i) => (g, i)).Where(x => x.g.Select.Matches(vm)).Select(x => x.i)];

    /// <summary>The limits as the graph states them: for the clusters and links the steps use.</summary>
    public GraphLimits GraphLimits(IReadOnlyList<VmPlan> vms)
    {
        var jobs = vms.SelectMany(v => v.Jobs).ToList();
        var clusters = jobs.SelectMany(j => new[] { j.From, j.To }).ToHashSet(StringComparer.Ordinal);
        var links = jobs.Where(j => j.Link is not null).Select(j => j.Link!.Id).ToHashSet(StringComparer.Ordinal);
        return new GraphLimits(
            new SortedDictionary<string, int>(clusters.ToDictionary(c => c, c => Limits.PerCluster[c]), StringComparer.Ordinal),
            Scope.Plan.Strategy.Parallelism.PerNode,
            new SortedDictionary<string, int>(links.ToDictionary(l => l, _ => Limits.PerLink), StringComparer.Ordinal),
            new SortedDictionary<string, long>(links.ToDictionary(l => l, l => Limits.LinkBandwidth[l]), StringComparer.Ordinal));
    }
}
