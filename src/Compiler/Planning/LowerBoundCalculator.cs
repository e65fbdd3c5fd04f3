namespace Reconcile.Compiler.Planning;

/// <summary>
/// A true lower bound on the makespan, from three relaxations (model-notes.md §5), each with every step
/// at the most bandwidth it could ever get (p_min; pre-copy time only grows as bandwidth shrinks):
/// <list type="bullet">
/// <item>chain: one VM's steps in order, each windowed step in the first window occurrence long enough,
/// after the VMs it must wait for (moves' `after`, the canary) — what the VM would take on an empty fleet;</item>
/// <item>link: the bytes that must cross a link over its bandwidth, and the steps on it over its slots;</item>
/// <item>cluster: the step-seconds a cluster takes part in over its migration slots.</item>
/// </list>
/// Windowed work is mapped through the window calendar: it cannot finish before that much open time
/// has passed. Disjoint windows per resource use the resource's own (superset) calendar, so the bound stays valid.
/// </summary>
internal static class LowerBoundCalculator
{
    public static LowerBound Compute(PlanningContext context, IReadOnlyList<VmPlan> vms, long snapshotSeconds)
    {
        var minimum = vms.SelectMany(v => v.Jobs).ToDictionary(j => j, j => MinimumDuration(context, j));
        var (chain, chainVm) = Chain(context, vms, minimum, snapshotSeconds);
        var (link, linkId) = Links(context, vms, minimum);
        var (cluster, clusterName) = Clusters(context, vms, minimum);
        var binding = chain >= link && chain >= cluster ? $"chain of VM {chainVm}" : link >= cluster ? $"link {linkId}" : $"cluster {clusterName}";
        return new LowerBound(chain, link, cluster, vms.Count == 0 ? null : binding);
    }

    private static (long Seconds, double Bytes) MinimumDuration(PlanningContext context, Job job)
    {
        var solo = context.SoloBandwidth(job.From, job.To);
        if (solo <= job.BandwidthBps || job.Prediction.Mode == CopyMode.PreCopy && job.Prediction.Rounds == 0)
        {
            return (job.Duration, job.Prediction.BytesSent);
        }

        var vm = job.Owner.Vm;
        var best = job.Prediction.Rounds == 0
            ? MigrationEstimator.Copy(job.DiskBytes, solo)
            : MigrationEstimator.Migration(context.Scope, vm, job.From, job.To, solo, job.DiskBytes);
        var seconds = Math.Max(1, (long)Math.Ceiling(best.Seconds));
        return (Math.Min(seconds, job.Duration), Math.Min(best.BytesSent, job.Prediction.BytesSent));
    }

    private static (long, string) Chain(PlanningContext context, IReadOnlyList<VmPlan> vms, Dictionary<Job, (long Seconds, double Bytes)> minimum, long snapshotSeconds)
    {
        var endOfMove = new Dictionary<string, long>(StringComparer.Ordinal);
        long canaryEnd = 0, best = 0;
        var bestVm = "";
        var canaries = vms.Where(v => v.Canary).ToList();
        foreach (var vm in canaries)
        {
            canaryEnd = Math.Max(canaryEnd, Finish(vm, 0));
        }

        foreach (var move in Planner.TopologicalOrder(context.Scope.Plan.Moves))
        {
            var start = move.After.Select(a => endOfMove.GetValueOrDefault(a)).DefaultIfEmpty(0).Max();
            long end = 0;
            foreach (var vm in vms.Where(v => v.Move == move))
            {
                var finish = Finish(vm, vm.Canary ? 0 : Math.Max(start, canaries.Count > 0 && canaries.Count < vms.Count ? canaryEnd : 0));
                end = Math.Max(end, finish);
                if (finish > best || finish == best && string.CompareOrdinal(vm.Vm.Id, bestVm) < 0)
                {
                    (best, bestVm) = (finish, vm.Vm.Id);
                }
            }

            // A concurrency group serialises its members: their cut-overs share maxConcurrent slots after `start`.
            var groups = context.Scope.Plan.Groups;
            for (var g = 0; g < groups.Length; g++)
            {
                var cutovers = vms.Where(v => v.Move == move && !v.Canary && v.Groups.Contains(g)).Select(v => v.Jobs[^1]).ToList();
                if (cutovers.Count < 2)
                {
                    continue;
                }

                var table = cutovers[0].Windows;
                var work = (long)Math.Ceiling(cutovers.Sum(j => (double)minimum[j].Seconds) / groups[g].MaxConcurrent);
                var groupEnd = table.TimeToAccumulate(table.OpenSecondsBefore(start) + work) + cutovers.Min(j => j.Owner.VerifySeconds);
                if (groupEnd > end)
                {
                    end = groupEnd;
                    if (groupEnd > best)
                    {
                        (best, bestVm) = (groupEnd, $"{cutovers[^1].Owner.Vm.Id} (group {groups[g].Name})");
                    }
                }
            }

            endOfMove[move.Name] = end;
        }

        return (best, bestVm);

        long Finish(VmPlan vm, long ready)
        {
            var t = ready;
            foreach (var job in vm.Jobs)
            {
                var seconds = minimum[job].Seconds;
                var earliest = t + (job.SnapshotBefore ? snapshotSeconds : 0);
                if (job.Windowed)
                {
                    var fit = job.Windows.Fit(earliest, seconds);
                    if (fit is null)
                    {
                        return earliest + seconds;
                    }

                    earliest = fit.Value.Start;
                }

                t = earliest + seconds;
            }

            return t + vm.VerifySeconds;
        }
    }

    private static (long, string) Links(PlanningContext context, IReadOnlyList<VmPlan> vms, Dictionary<Job, (long Seconds, double Bytes)> minimum)
    {
        long best = 0;
        var bestLink = "";
        foreach (var group in vms.SelectMany(v => v.Jobs).Where(j => j.Link is not null).GroupBy(j => j.Link!.Id).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var bandwidth = (double)context.Limits.LinkBandwidth[group.Key];
            var jobs = group.ToList();
            var allBytes = jobs.Sum(j => minimum[j].Bytes);
            var windowedBytes = jobs.Where(j => j.Windowed).Sum(j => minimum[j].Bytes);
            var slotSeconds = jobs.Sum(j => (double)minimum[j].Seconds) / context.Limits.PerLink;
            var windowedSlotSeconds = jobs.Where(j => j.Windowed).Sum(j => (double)minimum[j].Seconds) / context.Limits.PerLink;
            var table = jobs[0].Windows;
            var bound = Math.Max(
                (long)Math.Ceiling(Math.Max(allBytes / bandwidth, slotSeconds)),
                table.TimeToAccumulate((long)Math.Ceiling(Math.Max(windowedBytes / bandwidth, windowedSlotSeconds))));
            if (bound > best)
            {
                (best, bestLink) = (bound, group.Key);
            }
        }

        return (best, bestLink);
    }

    private static (long, string) Clusters(PlanningContext context, IReadOnlyList<VmPlan> vms, Dictionary<Job, (long Seconds, double Bytes)> minimum)
    {
        long best = 0;
        var bestCluster = "";
        var jobs = vms.SelectMany(v => v.Jobs).ToList();
        foreach (var cluster in jobs.SelectMany(j => new[] { j.From, j.To }).Distinct().Order(StringComparer.Ordinal))
        {
            var mine = jobs.Where(j => j.From == cluster || j.To == cluster).ToList();
            var slots = (double)context.Limits.PerCluster[cluster];
            var all = (long)Math.Ceiling(mine.Sum(j => (double)minimum[j].Seconds) / slots);
            var windowed = (long)Math.Ceiling(mine.Where(j => j.Windowed).Sum(j => (double)minimum[j].Seconds) / slots);
            var bound = Math.Max(all, context.Windows(cluster, cluster).TimeToAccumulate(windowed));
            if (bound > best)
            {
                (best, bestCluster) = (bound, cluster);
            }
        }

        return (best, bestCluster);
    }
}
