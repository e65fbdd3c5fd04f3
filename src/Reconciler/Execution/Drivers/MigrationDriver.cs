using Reconcile.Compiler.Execution;
using Reconcile.Compiler.Planning;

namespace Reconcile.Reconciler.Execution.Drivers;

/// <summary>
/// A live migration: one VMIM inside a cluster, or a decentralized pair across clusters. Across
/// clusters the target side goes first, as Forklift orders it: the receiver VM, derived at start from
/// the live source VM (ReceiverDerivation), then the receiving VMIM once the receiver's VMI exists
/// (KubeVirt admits it only then, migration-create-admitter.go), then the sending VMIM on the source.
/// </summary>
internal sealed class MigrationDriver(StepContext context) : StepDriver(context)
{
    public override bool CancelAtWindowClose => true;

    public override async Task StartAsync(GraphStep step, CancellationToken cancel)
    {
        Context.Problems.Remove(step.Id);
        foreach (var placed in Campaign.Objects(step, ObjectRole.LocalMigration))
        {
            await Context.ApplyAsync(placed, cancel);
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

        foreach (var receive in Campaign.Objects(step, ObjectRole.ReceiveMigration))
        {
            if (await Context.VmAsync(step, receive.Cluster, "VirtualMachineInstance", cancel) is null)
            {
                return; // the next pass goes on (StepOutcome.Missing)
            }

            await Context.ApplyAsync(receive, cancel);
        }

        foreach (var send in Campaign.Objects(step, ObjectRole.SenderMigration))
        {
            await Context.ApplyAsync(send, cancel);
        }
    }

    public override async Task<StepOutcome> ObserveAsync(GraphStep step, CancellationToken cancel)
    {
        if (Context.Problems.ContainsKey(step.Id))
        {
            return StepOutcome.Failed;
        }

        var sender = Campaign.Objects(step).First(o => o.Role is ObjectRole.LocalMigration or ObjectRole.SenderMigration);
        var live = await Context.GetAsync(sender, cancel);
        if (live is null)
        {
            // KubeVirt garbage-collects finished VMIMs: if the VM already runs where it should, the migration happened.
            return await Context.VmRunsAtTargetAsync(step, cancel) ? StepOutcome.Succeeded : StepOutcome.Missing;
        }

        return live["status"]?["phase"]?.GetValue<string>() switch
        {
            "Succeeded" => StepOutcome.Succeeded,
            "Failed" => StepOutcome.Failed,
            _ => StepOutcome.Running,
        };
    }

    /// <summary>Both VMIMs and the receiver VM go: KubeVirt's rule for retrying a decentralized migration.</summary>
    public override async Task CleanUpAsync(GraphStep step, CancellationToken cancel)
    {
        foreach (var placed in Campaign.Objects(step))
        {
            await Context.DeleteAsync(placed, cancel);
        }
    }

    public override async Task<string> FailureReasonAsync(GraphStep step, CancellationToken cancel)
    {
        if (Context.Problems.TryGetValue(step.Id, out var problem))
        {
            return problem;
        }

        foreach (var vmim in Campaign.Objects(step).Where(o => o.Role is ObjectRole.LocalMigration or ObjectRole.SenderMigration or ObjectRole.ReceiveMigration))
        {
            if ((await Context.GetAsync(vmim, cancel))?["status"]?["migrationState"]?["failureReason"]?.GetValue<string>() is { } reason)
            {
                return reason;
            }
        }

        return "the migration failed";
    }
}
