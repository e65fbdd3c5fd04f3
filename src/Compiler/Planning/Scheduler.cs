namespace Reconcile.Compiler.Planning;

/// <summary>
/// Event-driven list scheduling of the jobs. At every event (a job ends, a job becomes ready, a window
/// opens) it starts, lane by lane (a lane is a source→target hop), the best-ordered ready jobs that
/// fit every hard constraint: cluster, node, link and group concurrency, link bandwidth, and one
/// window occurrence that holds the whole job. Jobs that wait for a window sleep until it opens.
/// Deterministic: lanes, jobs and events are all ordered by stable keys.
/// </summary>
internal sealed class Scheduler(SchedulingLimits limits, long snapshotSeconds)
{
    // How many blocked jobs a lane looks past before it gives up for this event; bounds the work per
    // event while still letting a job on an idle node overtake one on a busy node.
    private const int ScanLimit = 64;

    private readonly Dictionary<string, int> clusterActive = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> nodeActive = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> linkActive = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> linkBandwidth = new(StringComparer.Ordinal);
    private readonly int[] groupActive = new int[limits.GroupMax.Length];
    private readonly SortedDictionary<string, SortedSet<Job>> lanes = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Job, (long, string)> sleeping = new();
    private readonly PriorityQueue<Job, (long, string)> active = new();
    private readonly Dictionary<string, long> laneLightest = new(StringComparer.Ordinal);

    public void Run(IReadOnlyList<VmPlan> vms, IReadOnlyList<Gate> gates)
    {
        // A gate that waits for nothing (its moves select no VM) is open from the start.
        foreach (var gate in gates.Where(g => g.Pending == 0))
        {
            Open(gate);
        }

        foreach (var vm in vms.Where(v => v.GatesPending == 0))
        {
            Ready(vm.Jobs[0], vm.ReadyAt + (vm.Jobs[0].SnapshotBefore ? snapshotSeconds : 0));
        }

        long now = 0;
        while (true)
        {
            while (active.TryPeek(out var ending, out var at) && at.Item1 <= now)
            {
                active.Dequeue();
                Complete(ending);
            }

            while (sleeping.TryPeek(out var waking, out var at) && at.Item1 <= now)
            {
                sleeping.Dequeue();
                LaneOf(waking).Add(waking);
            }

            Dispatch(now);
            var next = long.MaxValue;
            if (active.TryPeek(out _, out var end))
            {
                next = end.Item1;
            }

            if (sleeping.TryPeek(out _, out var wake))
            {
                next = Math.Min(next, wake.Item1);
            }

            if (next == long.MaxValue)
            {
                break;
            }

            now = next;
        }
    }

    private SortedSet<Job> LaneOf(Job job)
    {
        if (!lanes.TryGetValue(job.Lane, out var lane))
        {
            lane = new SortedSet<Job>(Job.Order);
            lanes[job.Lane] = lane;
        }

        laneLightest[job.Lane] = Math.Min(laneLightest.GetValueOrDefault(job.Lane, long.MaxValue), job.BandwidthBps);

        return lane;
    }

    private void Ready(Job job, long at) => sleeping.Enqueue(job, (at, job.Id));

    private void Dispatch(long now)
    {
        foreach (var lane in lanes.Values)
        {
            if (lane.Count == 0)
            {
                continue;
            }

            var started = new List<Job>();
            var resting = new List<(Job Job, long Until)>();
            var unschedulable = new List<Job>();
            var looked = 0;
            foreach (var job in lane)
            {
                if (!LaneHasRoom(job) || job.Link is not null &&
                    limits.LinkBandwidth[job.Link.Id] - linkBandwidth.GetValueOrDefault(job.Link.Id) < laneLightest[job.Lane])
                {
                    break;
                }

                if (++looked > ScanLimit)
                {
                    break;
                }

                // A job that needs more of the link than is free lets a lighter one behind it go first.
                if (!JobHasRoom(job) || !BandwidthHasRoom(job))
                {
                    continue;
                }

                var fit = job.Windowed ? job.Windows.Fit(now, job.Duration) : (now, -1);
                if (fit is null)
                {
                    unschedulable.Add(job);
                    continue;
                }

                if (fit.Value.Start > now)
                {
                    resting.Add((job, fit.Value.Start));
                    continue;
                }

                job.Start = now;
                job.Occurrence = fit.Value.Occurrence;
                Acquire(job, +1);
                active.Enqueue(job, (job.End, job.Id));
                started.Add(job);
            }

            foreach (var job in started)
            {
                lane.Remove(job);
            }

            foreach (var (job, until) in resting)
            {
                lane.Remove(job);
                sleeping.Enqueue(job, (until, job.Id));
            }

            foreach (var job in unschedulable)
            {
                lane.Remove(job);
                job.Owner.Unscheduled = $"no window within the planning horizon is long enough for its {Describe(job.Kind)} of {Model.Quantities.FormatSeconds(job.Duration)} on {job.From}->{job.To}";
            }
        }
    }

    private static string Describe(StepKind kind) => kind == StepKind.ReplicateStorage ? "storage replication" : "migration";

    private bool LaneHasRoom(Job job)
    {
        if (clusterActive.GetValueOrDefault(job.From) >= limits.PerCluster[job.From] ||
            job.To != job.From && clusterActive.GetValueOrDefault(job.To) >= limits.PerCluster[job.To])
        {
            return false;
        }

        return job.Link is null || linkActive.GetValueOrDefault(job.Link.Id) < limits.PerLink;
    }

    private bool BandwidthHasRoom(Job job) =>
        job.Link is null || linkBandwidth.GetValueOrDefault(job.Link.Id) + job.BandwidthBps <= limits.LinkBandwidth[job.Link.Id];

    private bool JobHasRoom(Job job) =>
        (job.Node is null || nodeActive.GetValueOrDefault(job.NodeKey) < limits.PerNode[job.From]) &&
        job.Owner.Groups.All(g => groupActive[g] < limits.GroupMax[g]);

    private void Acquire(Job job, int delta)
    {
        clusterActive[job.From] = clusterActive.GetValueOrDefault(job.From) + delta;
        if (job.To != job.From)
        {
            clusterActive[job.To] = clusterActive.GetValueOrDefault(job.To) + delta;
        }

        if (job.Node is not null)
        {
            nodeActive[job.NodeKey] = nodeActive.GetValueOrDefault(job.NodeKey) + delta;
        }

        if (job.Link is not null)
        {
            linkActive[job.Link.Id] = linkActive.GetValueOrDefault(job.Link.Id) + delta;
            linkBandwidth[job.Link.Id] = linkBandwidth.GetValueOrDefault(job.Link.Id) + delta * job.BandwidthBps;
        }

        foreach (var group in job.Owner.Groups)
        {
            groupActive[group] += delta;
        }
    }

    private void Complete(Job job)
    {
        Acquire(job, -1);
        if (job.Next is { } next)
        {
            Ready(next, job.End + (next.SnapshotBefore ? snapshotSeconds : 0));
            return;
        }

        var vm = job.Owner;
        vm.Done = job.End + vm.VerifySeconds;
        foreach (var gate in vm.Notifies)
        {
            gate.Time = Math.Max(gate.Time, vm.Done);
            if (--gate.Pending == 0)
            {
                Open(gate);
            }
        }
    }

    private void Open(Gate gate)
    {
        gate.Open = true;
        foreach (var vm in gate.Releases)
        {
            vm.ReadyAt = Math.Max(vm.ReadyAt, gate.Time);
            if (--vm.GatesPending == 0)
            {
                Ready(vm.Jobs[0], vm.ReadyAt + (vm.Jobs[0].SnapshotBefore ? snapshotSeconds : 0));
            }
        }
    }
}

/// <summary>The effective limits the scheduler enforces (plan parallelism within KubeVirt's own).</summary>
internal sealed record SchedulingLimits(
    IReadOnlyDictionary<string, int> PerCluster,
    IReadOnlyDictionary<string, int> PerNode,
    int PerLink,
    IReadOnlyDictionary<string, long> LinkBandwidth,
    int[] GroupMax);
