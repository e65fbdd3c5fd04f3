using Reconcile.Compiler.Execution;
using Reconcile.Compiler.Planning;

namespace Reconcile.Reconciler.Execution.Drivers;

/// <summary>
/// The replicate step of a staged move (S28): a VolumeReplication per disk, primary on the source and
/// secondary on the target. Done once every source replica is Primary and has synced once, and every
/// target one is Secondary.
/// </summary>
internal sealed class ReplicateDriver(StepContext context) : StepDriver(context)
{
    private readonly ReplicaGate gate = new(context.Clusters);

    public override async Task<StepOutcome> ObserveAsync(GraphStep step, CancellationToken cancel)
    {
        var all = Campaign.Objects(step);
        if (!await AllExistAsync(step, cancel, ObjectRole.SourceReplica, ObjectRole.TargetReplica))
        {
            return StepOutcome.Missing;
        }

        if (await gate.FailureAsync(all, cancel) is { } failure)
        {
            Context.Problems[step.Id] = failure;
            return StepOutcome.Failed;
        }

        return await gate.AllAsync(all.Where(o => o.Role == ObjectRole.SourceReplica), "Primary", cancel, synced: true) &&
               await gate.AllAsync(all.Where(o => o.Role == ObjectRole.TargetReplica), "Secondary", cancel)
            ? StepOutcome.Succeeded
            : StepOutcome.Running;
    }
}

/// <summary>
/// The cold cut-over of a staged move over its replicas, each part gated on the one before (ReplicaGate):
/// stop the VM, demote the source replicas once its VMI is gone, promote the target ones once every
/// source replica is Secondary, start the VM (derived from the source) once every target one is Primary.
/// Each pass goes as far as it may; never cancelled at a window's close (the VM would be left down).
/// </summary>
internal sealed class StagedCutoverDriver(StepContext context) : StepDriver(context)
{
    private readonly ReplicaGate gate = new(context.Clusters);

    public override async Task StartAsync(GraphStep step, CancellationToken cancel)
    {
        Context.Problems.Remove(step.Id);
        foreach (var halt in Campaign.Objects(step, ObjectRole.SourceHalt))
        {
            await ColdMigrationDriver.KeepRunStrategyAsync(Context, halt, cancel);
            await Context.ApplyAsync(halt, cancel);
        }

        if (await Context.VmAsync(step, step.From!.Cluster, "VirtualMachineInstance", cancel) is not null)
        {
            return;
        }

        var demote = Campaign.Objects(step, ObjectRole.SourceReplica).ToList();
        foreach (var replica in demote)
        {
            await Context.ApplyAsync(replica, cancel);
        }

        var promote = Campaign.Objects(step, ObjectRole.TargetReplica).ToList();
        if (!await gate.AllAsync(demote, "Secondary", cancel))
        {
            return;
        }

        foreach (var replica in promote)
        {
            await Context.ApplyAsync(replica, cancel);
        }

        if (!await gate.AllAsync(promote, "Primary", cancel))
        {
            return;
        }

        foreach (var receiver in Campaign.Objects(step, ObjectRole.ReceiverVm))
        {
            var (vm, problem) = await Context.ReceiverAsync(step, receiver, cancel);
            if (problem is not null)
            {
                Context.Problems[step.Id] = problem;
                return;
            }

            await Context.ApplyAsync(receiver with { Object = vm! }, cancel);
        }
    }

    public override async Task<StepOutcome> ObserveAsync(GraphStep step, CancellationToken cancel)
    {
        if (Context.Problems.ContainsKey(step.Id))
        {
            return StepOutcome.Failed;
        }

        if (await Context.VmRunsAtTargetAsync(step, cancel))
        {
            return StepOutcome.Succeeded;
        }

        if (await gate.FailureAsync(Campaign.Objects(step).Where(o => o.Role is ObjectRole.SourceReplica or ObjectRole.TargetReplica), cancel) is { } failure)
        {
            Context.Problems[step.Id] = failure;
            return StepOutcome.Failed;
        }

        return await AllExistAsync(step, cancel, ObjectRole.ReceiverVm) ? StepOutcome.Running : StepOutcome.Missing;
    }
}
