using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Planning;

/// <summary>Turns the scheduled jobs and gates into the graph's steps, stages and windows.</summary>
internal static class GraphBuilder
{
    public static List<GraphStep> Steps(IReadOnlyList<VmPlan> vms, IReadOnlyList<Gate> gates, DateTime anchor, long snapshotSeconds)
    {
        var steps = new List<GraphStep>();
        DateTime At(long seconds) => anchor.AddSeconds(seconds);
        foreach (var vm in vms.Where(v => v.Done >= 0))
        {
            var id = vm.Vm.Id;
            List<string> dependsOn = [.. vm.WaitsFor.Select(g => g.Id).Order(StringComparer.Ordinal)];
            foreach (var job in vm.Jobs)
            {
                if (job.SnapshotBefore)
                {
                    var snapshot = $"snapshot-{vm.Key}";
                    steps.Add(new GraphStep(snapshot, StepKind.Snapshot, id, vm.Move.Name, new Endpoint(job.From, job.Node), null, null,
                        vm.Stage, vm.Priority, dependsOn, At(job.Start - snapshotSeconds), At(job.Start), 0,
                        new Predicted(snapshotSeconds, 0, 0, 0, true)));
                    dependsOn = [snapshot];
                }

                var prediction = job.Prediction;
                steps.Add(new GraphStep(job.Id, job.Kind, id, vm.Move.Name, new Endpoint(job.From, job.Node), new Endpoint(job.To, null),
                    job.Link?.Id, vm.Stage, vm.Priority, dependsOn, At(job.Start), At(job.End), job.BandwidthBps,
                    new Predicted(
                        job.Duration,
                        (long)Math.Round(prediction.BytesSent),
                        prediction.Rounds,
                        // A cold copy or a staged cut-over: down for the whole step and the guest's boot after it.
                        job.Kind != StepKind.Migrate ? 0 : (long)Math.Round(prediction.DowntimeSeconds * 1000),
                        prediction.Converges,
                        job.Transfer)));
                dependsOn = [job.Id];
            }

            var last = vm.Jobs[^1];
            steps.Add(new GraphStep($"verify-{vm.Key}", StepKind.Verify, id, vm.Move.Name, null, new Endpoint(last.To, null), null,
                vm.Stage, vm.Priority, dependsOn, At(last.End), At(last.End + vm.VerifySeconds), 0, new Predicted(vm.VerifySeconds, 0, 0, 0, true)));
        }

        foreach (var gate in gates.Where(g => g.Open))
        {
            // The canary gate closes stage 1; a move's gate opens the move's own stage.
            var stage = gate.Stage == "canary" ? "stage-1" : gate.Releases.FirstOrDefault()?.Stage ?? "stage-1";
            steps.Add(new GraphStep(gate.Id, StepKind.Gate, null, gate.Stage == "canary" ? null : gate.Stage, null, null, null, stage, 0,
                [.. gate.Waits.Select(v => $"verify-{v.Key}").Order(StringComparer.Ordinal)], At(gate.Time), At(gate.Time), 0,
                new Predicted(0, 0, 0, 0, true)));
        }

        return [.. steps.OrderBy(s => s.PlannedStart).ThenBy(s => s.Id, StringComparer.Ordinal)];
    }

    public static List<GraphWindow> WindowsUsed(IReadOnlyList<VmPlan> vms, Windows windows)
    {
        var used = new SortedDictionary<(DateTime, string), GraphWindow>();
        foreach (var job in vms.SelectMany(v => v.Jobs).Where(j => j.Start >= 0 && j.Occurrence >= 0))
        {
            var occurrence = job.Windows.Occurrences[job.Occurrence];
            var clusters = windows.Allow.First(a => a.Name == occurrence.Name).Clusters;
            used[(occurrence.Start, occurrence.Name)] = new GraphWindow(occurrence.Name, occurrence.Start, occurrence.End,
                clusters.IsEmpty ? ["*"] : [.. clusters.Order(StringComparer.Ordinal)]);
        }

        return [.. used.Values];
    }

    public static List<GraphStage> Stages(List<(string Id, string Name, Move? Move)> stages, List<GraphStep> steps, IReadOnlyList<VmPlan> vms)
    {
        var result = new List<GraphStage>();
        var canary = stages.FirstOrDefault(s => s.Move is null).Id;
        // Each stage's steps (in step order) and each job by id, gathered once: found per stage, they cost
        // stages x steps walks (76 x 300,000 at 100,000 VMs).
        var byStage = steps.GroupBy(s => s.Stage, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var jobs = new Lazy<Dictionary<string, Job>>(() => vms.SelectMany(v => v.Jobs).GroupBy(j => j.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal));
        foreach (var (id, name, move) in stages)
        {
            var members = byStage.GetValueOrDefault(id) ?? [];
            var firstMigrate = members.Where(s => s.Kind == StepKind.Migrate).OrderBy(s => s.PlannedStart).ThenBy(s => s.Id, StringComparer.Ordinal).FirstOrDefault();
            var window = firstMigrate is null ? null : WindowOf(jobs.Value[firstMigrate.Id]);
            var dependsOn = new SortedSet<string>(StringComparer.Ordinal);
            if (move is not null)
            {
                if (canary is not null)
                {
                    dependsOn.Add(canary);
                }

                foreach (var after in move.After)
                {
                    foreach (var other in stages.Where(s => s.Move?.Name == after))
                    {
                        dependsOn.Add(other.Id);
                    }
                }
            }

            result.Add(new GraphStage(id, name, window, [.. dependsOn], [.. members.Select(s => s.Id).Order(StringComparer.Ordinal)]));
        }

        return result;
    }

    private static string? WindowOf(Job job) => job.Occurrence >= 0 ? job.Windows.Occurrences[job.Occurrence].Name : null;
}
