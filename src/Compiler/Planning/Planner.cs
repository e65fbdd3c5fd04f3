using System.Collections.Immutable;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Semantics;
using Reconcile.Compiler.Semantics.Rules;

namespace Reconcile.Compiler.Planning;

/// <summary>The planner's answer: a graph when the plan can be carried out, and every diagnostic either way.</summary>
public sealed record PlanResult(ExecutionGraph? Graph, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// Turns one validated MigrationPlan into its execution graph: builds each VM's chain of steps
/// (snapshot, replicate-storage, migrate, verify) and the gates between stages, times them with the
/// <see cref="Scheduler"/>, and computes the lower bound on the makespan. A pure function of the
/// plan, the anchor time and the input digest.
/// </summary>
public static class Planner
{
    /// <summary>Predicted time of a VirtualMachineSnapshot (S31): a storage snapshot plus the guest freeze.</summary>
    public const long SnapshotSeconds = 60;

    /// <summary>
    /// Predicted time to verify a VM that landed live (S20): its VMI already runs on the target with its agent
    /// connected, so the reconciler's next pass sees it (`run --pass-interval`, 10 s by default). After a cold
    /// landing verify waits for the guest to boot instead (MigrationEstimator.BootTime).
    /// </summary>
    public const long VerifySeconds = 10;

    public static PlanResult Plan(MigrationPlan plan, PlanSet model, DateTime now, string digest, string? revision = null)
    {
        var scope = PlanScope.Create(plan, model);
        var anchor = Truncate(plan.NotBefore is { } notBefore && notBefore.UtcDateTime > now ? notBefore.UtcDateTime : now);
        var context = new PlanningContext(scope, anchor);
        var diagnostics = new List<Diagnostic>();

        var vms = BuildVms(context, diagnostics);
        var gates = BuildGates(context, vms);
        var stages = AssignStages(context, vms, gates);
        var scheduler = new Scheduler(context.Limits, SnapshotSeconds);
        scheduler.Run(vms, gates);

        foreach (var vm in vms.Where(v => v.Done < 0))
        {
            var reason = vm.Unscheduled ?? $"it waits for {string.Join(" and ", vm.WaitsFor.Where(g => !g.Open).Select(g => g.Id))}, which never opens because a VM it waits for cannot be scheduled";
            diagnostics.Add(DiagnosticCatalog.NotSchedulable.At(vm.Vm.Source.At("name"), $"VM {vm.Vm.Id} (move '{vm.Move.Name}') cannot be scheduled: {reason}"));
        }

        var steps = GraphBuilder.Steps(vms, gates, anchor, SnapshotSeconds);
        var bound = LowerBoundCalculator.Compute(context, vms, SnapshotSeconds);
        if (diagnostics.Any(d => d.IsError))
        {
            return new PlanResult(null, diagnostics);
        }

        var makespan = steps.Count == 0 ? 0 : (long)(steps.Max(s => s.PlannedEnd) - anchor).TotalSeconds;
        var graph = new ExecutionGraph(
            plan.Name,
            revision,
            digest,
            anchor,
            makespan,
            Math.Min(bound.Seconds, makespan),
            bound,
            context.GraphLimits(vms),
            GraphBuilder.WindowsUsed(vms, plan.Windows),
            GraphBuilder.Stages(stages, steps, vms),
            steps,
            diagnostics);
        return new PlanResult(graph, diagnostics);
    }

    private static DateTime Truncate(DateTime time) =>
        new(time.Ticks - time.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    private static List<VmPlan> BuildVms(PlanningContext context, List<Diagnostic> diagnostics)
    {
        var scope = context.Scope;
        var strategy = scope.Plan.Strategy;
        var vms = new List<VmPlan>();
        foreach (var (vm, move) in scope.Assignments.OrderBy(a => a.Vm.Id, StringComparer.Ordinal))
        {
            var mode = scope.ModeOf(move);
            var key = $"{vm.Namespace}.{vm.Name}";
            // 1. The intra-region hop of a move staged through another cluster (S28).
            var (cutFrom, cutTo) = MigrationEstimator.CutoverHop(move);
            var pending = new List<(string Id, StepKind Kind, string From, string To, string? Node, MigrationPrediction Prediction, double Bandwidth, double Disk, bool Windowed, TransferMode Mode)>();
            if (move.Via is { } via)
            {
                var disk = MigrationEstimator.DiskBytes(vm, move.From, via);
                var (share, prediction) = context.BestShare(vm, move.From, via, disk);
                pending.Add(($"migrate-{key}-via-{via}", StepKind.Migrate, move.From, via, vm.Node, prediction, share, disk, true, TransferMode.Live));
            }

            // 2. A staged move across clusters: the storage replicates every disk ahead of the cut-over (S28);
            //    the initial sync may run outside windows.
            var cutShare = context.Share(cutFrom, cutTo);
            var cutDisk = MigrationEstimator.DiskBytes(vm, cutFrom, cutTo);
            var landsLive = scope.LandsLive(move);
            if (mode == MoveMode.Staged && !landsLive && cutDisk > 0)
            {
                var copy = MigrationEstimator.Copy(cutDisk, cutShare);
                pending.Add(($"replicate-{key}", StepKind.ReplicateStorage, cutFrom, cutTo, null, copy, cutShare, cutDisk, !strategy.ReplicateOutsideWindows, TransferMode.Replicate));
            }

            // 3. The cut-over: a live migration carrying every disk across clusters (KubeVirt mirrors them all),
            //    a cold copy, or a staged move's cold cut-over over its replicas.
            var cutNode = move.Via is null ? vm.Node : null;
            if (landsLive)
            {
                var (share, prediction) = context.BestShare(vm, cutFrom, cutTo, cutDisk);
                pending.Add(($"migrate-{key}", StepKind.Migrate, cutFrom, cutTo, cutNode, prediction, share, cutDisk, true, TransferMode.Live));
            }
            else if (mode == MoveMode.Staged)
            {
                pending.Add(($"migrate-{key}", StepKind.Migrate, cutFrom, cutTo, cutNode, MigrationEstimator.ReplicaCutover(scope, vm, cutFrom, cutTo, cutShare), cutShare, 0, true, TransferMode.StagedCutover));
            }
            else
            {
                var importShare = MigrationEstimator.ImportBytesPerSecond(scope, vm, cutFrom, cutTo);
                pending.Add(($"migrate-{key}", StepKind.Migrate, cutFrom, cutTo, cutNode, MigrationEstimator.ColdMove(scope, vm, cutFrom, cutTo, importShare), importShare, cutDisk, true, TransferMode.Cold));
            }

            // A duration beyond a century cannot fit any window (the horizon is at most ten years): capped, so sums never overflow.
            var durations = pending.Select(p => Math.Max(1, (long)Math.Ceiling(Math.Min(p.Prediction.Seconds, Job.Never)))).ToList();
            // After a cold landing the guest boots before its agent answers; verify waits for that.
            var verify = !landsLive && strategy.Verify.GuestAgent && vm.Guest.Agent ? (long)Math.Ceiling(MigrationEstimator.BootTime(scope, vm).TotalSeconds) : VerifySeconds;
            var owner = new VmPlan
            {
                Vm = vm,
                Move = move,
                Key = key,
                Mode = mode,
                Priority = context.PriorityOf(vm),
                Risk = durations.Sum() + verify + (strategy.SnapshotBefore ? SnapshotSeconds : 0),
                VerifySeconds = verify,
                Groups = context.GroupsOf(vm),
            };

            Job? previous = null;
            for (var i = 0; i < pending.Count; i++)
            {
                var p = pending[i];
                var job = new Job
                {
                    Id = p.Id,
                    Kind = p.Kind,
                    Owner = owner,
                    From = p.From,
                    To = p.To,
                    Node = p.Node,
                    Link = p.From == p.To ? null : scope.Topology!.FindLink(p.From, p.To),
                    BandwidthBps = (long)p.Bandwidth,
                    Duration = durations[i],
                    Prediction = p.Prediction,
                    DiskBytes = p.Disk,
                    Mode = p.Mode,
                    Transfer = TransferOf(scope, vm, p.From, p.To, p.Mode, p.Prediction, p.Disk),
                    Windowed = p.Windowed,
                    Windows = context.Windows(p.From, p.To),
                    SnapshotBefore = strategy.SnapshotBefore && p.Kind == StepKind.Migrate && owner.Jobs.All(j => j.Kind != StepKind.Migrate),
                };
                if (p.Kind == StepKind.Migrate && scope.LiveHops(move).Contains((p.From, p.To)))
                {
                    diagnostics.AddRange(TimeoutRule.Check(scope, vm, move, p.Prediction, p.Disk, p.Bandwidth));
                }

                owner.Jobs.Add(job);
                if (previous is not null)
                {
                    previous.Next = job;
                }

                previous = job;
            }

            vms.Add(owner);
        }

        return vms;
    }

    /// <summary>What a data-moving step sends, over how many connections, at what rate per connection (TransportModel).</summary>
    private static StepTransfer TransferOf(PlanScope scope, Vm vm, string from, string to, TransferMode mode, MigrationPrediction prediction, double disk)
    {
        var path = TransportModel.Path(scope.Topology, scope.Cluster(from), from, to);
        var perConnection = (long)Math.Min(path.PerConnection, long.MaxValue);
        var disks = disk > 0 ? vm.Volumes.Count(v => v.SizeBytes > 0) : 0;
        return mode switch
        {
            TransferMode.Live => new StepTransfer(mode, (long)Math.Round(prediction.BytesSent - disk), (long)disk,
                TransportModel.MemoryConnections(scope.Plan.Strategy.AllowPostCopy, cpuLimit: false), disks, perConnection),
            TransferMode.StagedCutover => new StepTransfer(mode, 0, 0, 0, 0, perConnection),
            _ => new StepTransfer(mode, 0, (long)disk, 0, disks, perConnection),
        };
    }

    private static List<Gate> BuildGates(PlanningContext context, List<VmPlan> vms)
    {
        var plan = context.Scope.Plan;
        var gates = new List<Gate>();

        // Canary first (lowest risk among VMs whose move waits for nothing), then the rest.
        var canaries = vms.Where(v => v.Move.After.IsEmpty).OrderBy(v => v.Risk).ThenBy(v => v.Key, StringComparer.Ordinal)
            .Take(plan.Strategy.Canary).ToList();
        foreach (var vm in canaries)
        {
            vm.Canary = true;
        }

        if (canaries.Count > 0 && canaries.Count < vms.Count)
        {
            var gate = new Gate("gate-canary", "canary");
            gate.Waits.AddRange(canaries);
            gate.Releases.AddRange(vms.Where(v => !v.Canary));
            gates.Add(gate);
        }

        // Each move's VMs gathered once, in plan order (move names are unique): found per gate, they cost a
        // walk of every VM per move that waits for another.
        var byMove = vms.GroupBy(v => v.Move.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var order = new Dictionary<VmPlan, int>(ReferenceEqualityComparer.Instance);
        foreach (var (vm, index) in vms.Select((v, i) => (v, i)))
        {
            order[vm] = index;
        }

        foreach (var move in plan.Moves.Where(m => !m.After.IsEmpty).OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            var gate = new Gate($"gate-after-{move.Name}", move.Name);
            gate.Waits.AddRange(move.After.Distinct(StringComparer.Ordinal).SelectMany(after => byMove.GetValueOrDefault(after) ?? []).OrderBy(v => order[v]));
            gate.Releases.AddRange(byMove.GetValueOrDefault(move.Name) ?? []);
            gates.Add(gate);
        }

        foreach (var gate in gates)
        {
            gate.Pending = gate.Waits.Count;
            foreach (var vm in gate.Waits)
            {
                vm.Notifies.Add(gate);
            }

            foreach (var vm in gate.Releases)
            {
                vm.WaitsFor.Add(gate);
                vm.GatesPending++;
            }
        }

        return gates;
    }

    /// <summary>Stage 1 is the canary; then one stage per move, in dependency order.</summary>
    private static List<(string Id, string Name, Move? Move)> AssignStages(PlanningContext context, List<VmPlan> vms, List<Gate> gates)
    {
        var stages = new List<(string Id, string Name, Move? Move)>();
        if (vms.Any(v => v.Canary))
        {
            stages.Add(("stage-1", "canary", null));
        }

        foreach (var move in TopologicalOrder(context.Scope.Plan.Moves))
        {
            if (vms.Any(v => v.Move == move && !v.Canary))
            {
                stages.Add(($"stage-{stages.Count + 1}", move.Name, move));
            }
        }

        foreach (var vm in vms)
        {
            vm.Stage = vm.Canary ? "stage-1" : stages.First(s => s.Move == vm.Move).Id;
        }

        return stages;
    }

    internal static List<Move> TopologicalOrder(ImmutableArray<Move> moves)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var order = new List<Move>();
        var remaining = moves.OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
        while (remaining.Count > 0)
        {
            var next = remaining.FirstOrDefault(m => m.After.All(a => done.Contains(a) || moves.All(x => x.Name != a))) ?? remaining[0];
            order.Add(next);
            done.Add(next.Name);
            remaining.Remove(next);
        }

        return order;
    }
}
