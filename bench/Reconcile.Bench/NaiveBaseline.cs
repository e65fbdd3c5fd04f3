using Reconcile.Compiler;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Bench;

/// <summary>
/// What KubeVirt does when every VirtualMachineInstanceMigration is created at once (model-notes.md §4):
/// first come first served in inventory order, parallelMigrationsPerCluster (counted on both clusters)
/// and parallelOutboundMigrationsPerNode, no link limit, each migration taking its TCP fair share of
/// the link at the moment it starts, capped by bandwidthPerMigration. It knows no windows: an operator
/// creates the batch when a window opens, and a migration still running when the window closes is
/// cancelled and retried in the next one. No `after`, no groups, no priorities. A migration that cannot
/// converge at its share fails at KubeVirt's completion deadline and is retried (three tries at most).
/// </summary>
public static class NaiveBaseline
{
    private sealed class Migration(Vm vm, string from, string to, Link? link)
    {
        public Vm Vm { get; } = vm;

        public string From { get; } = from;

        public string To { get; } = to;

        public Link? Link { get; } = link;

        public int Tries { get; set; }

        public long End { get; set; }

        public bool Succeeds { get; set; }
    }

    public static (long Makespan, int Failed)? Makespan(ValidationResult validation, MigrationPlan plan, DateTime now)
    {
        var scope = PlanScope.Create(plan, validation.Model);
        var strategy = plan.Strategy;
        var anchor = plan.NotBefore is { } nb && nb.UtcDateTime > now ? nb.UtcDateTime : now;
        var windows = new OpenTimes(plan, anchor);

        // One creation-ordered queue per source cluster: KubeVirt admits per cluster.
        var queues = new SortedDictionary<string, LinkedList<Migration>>(StringComparer.Ordinal);
        foreach (var (vm, move) in scope.Assignments)
        {
            var (from, to) = MigrationEstimator.CutoverHop(move);
            var queue = queues.TryGetValue(from, out var q) ? q : queues[from] = new LinkedList<Migration>();
            queue.AddLast(new Migration(vm, from, to, from == to ? null : scope.Topology!.FindLink(from, to)));
        }

        var clusterActive = new Dictionary<string, int>(StringComparer.Ordinal);
        var nodeActive = new Dictionary<string, int>(StringComparer.Ordinal);
        var linkActive = new Dictionary<string, int>(StringComparer.Ordinal);
        var running = new PriorityQueue<Migration, long>();
        int Limit(string cluster) => Math.Min(strategy.Parallelism.PerCluster, scope.Cluster(cluster)!.Migration.ParallelMigrationsPerCluster);
        void Count(Migration m, int delta)
        {
            clusterActive[m.From] = clusterActive.GetValueOrDefault(m.From) + delta;
            if (m.To != m.From)
            {
                clusterActive[m.To] = clusterActive.GetValueOrDefault(m.To) + delta;
            }

            var node = m.From + "/" + m.Vm.Node;
            nodeActive[node] = nodeActive.GetValueOrDefault(node) + delta;
            if (m.Link is not null)
            {
                linkActive[m.Link.Id] = linkActive.GetValueOrDefault(m.Link.Id) + delta;
            }
        }

        var failed = 0;
        long makespan = 0;
        var t = windows.NextOpen(0);
        while (t != long.MaxValue)
        {
            while (running.TryPeek(out var done, out var end) && end <= t)
            {
                running.Dequeue();
                Count(done, -1);
                if (done.Succeeds)
                {
                    makespan = Math.Max(makespan, done.End);
                }
                else if (done.Tries < 3)
                {
                    queues[done.From].AddLast(done);
                }
                else
                {
                    failed++;
                }
            }

            // Between windows the operator creates nothing.
            var close = windows.CloseAfter(t);
            foreach (var queue in close > t ? queues.Values.ToList() : [])
            {
                for (var node = queue.First; node is not null;)
                {
                    var next = node.Next;
                    var m = node.Value;
                    if (clusterActive.GetValueOrDefault(m.From) >= Limit(m.From))
                    {
                        break;
                    }

                    if (clusterActive.GetValueOrDefault(m.To) < Limit(m.To) &&
                        nodeActive.GetValueOrDefault(m.From + "/" + m.Vm.Node) < scope.Cluster(m.From)!.Migration.ParallelOutboundMigrationsPerNode)
                    {
                        Start(m, t, close);
                        queue.Remove(node);
                    }

                    node = next;
                }
            }

            t = running.TryPeek(out _, out var nextEnd) ? nextEnd : windows.NextOpen(Math.Max(close, t + 1));
        }

        return (makespan, failed);

        void Start(Migration m, long at, long close)
        {
            var solo = MigrationEstimator.HopBytesPerSecond(scope, m.From, m.To);
            var sharing = 1 + (m.Link is null ? 0 : linkActive.GetValueOrDefault(m.Link.Id));
            var bandwidth = m.Link is null ? solo : Math.Min(solo, m.Link.BandwidthBitsPerSecond / 8.0 / sharing);
            var disk = MigrationEstimator.DiskBytes(m.Vm, m.From, m.To);
            var prediction = MigrationEstimator.Migration(scope, m.Vm, m.From, m.To, bandwidth, disk);
            var deadline = MigrationEstimator.CompletionDeadlineSeconds(scope, m.Vm, disk);
            m.Succeeds = prediction.Converges && prediction.Seconds <= deadline;
            m.Tries++;
            m.End = at + Math.Max(1, (long)Math.Ceiling(m.Succeeds ? prediction.Seconds : deadline));
            if (m.End > close)
            {
                // Cancelled when the window closes: the time is lost and the try does not count.
                m.End = close;
                m.Succeeds = false;
                m.Tries--;
            }

            Count(m, +1);
            running.Enqueue(m, m.End);
        }
    }

    /// <summary>The plan's windows for the whole fleet, in seconds from the anchor (always open without windows).</summary>
    private sealed class OpenTimes
    {
        private readonly List<(long Start, long End)> open;

        public OpenTimes(MigrationPlan plan, DateTime anchor)
        {
            var clusters = plan.Moves.SelectMany(m => new[] { m.From, m.To }).Distinct().ToList();
            open = plan.Windows.Allow.IsEmpty
                ? [(0, long.MaxValue)]
                : [.. WindowCalendar.Expand(plan.Windows, clusters, anchor, plan.Horizon).Select(o => ((long)(o.Start - anchor).TotalSeconds, (long)(o.End - anchor).TotalSeconds))];
        }

        public long NextOpen(long t) => open.Where(o => o.End > t).Select(o => Math.Max(o.Start, t)).DefaultIfEmpty(long.MaxValue).Min();

        public long CloseAfter(long t) => open.Where(o => o.Start <= t && o.End > t).Select(o => o.End).DefaultIfEmpty(t).Max();
    }
}
