using System.Text.Json.Nodes;
using Reconcile.Compiler.Execution;
using Reconcile.Compiler.Planning;

namespace Reconcile.Reconciler.Execution.Drivers;

/// <summary>
/// Reverses one finished migration with the objects its manifest renders for it: inside a cluster a
/// VMIM back to the original node; across clusters a decentralized migration back (the original VM
/// waits as receiver again, with the moved copy's run strategy to restore); a cold landing or staged
/// cut-over by stopping the copy, turning the replicas back (staged), and starting the original, which
/// is still there, stopped, with its disks, once the copy is off (never two running copies of a guest).
/// </summary>
internal sealed class RollbackDriver(StepContext context)
{
    private readonly ReplicaGate gate = new(context.Clusters);

    private CompiledCampaign Campaign => context.Campaign;

    /// <summary>Makes as much of the reversal as may be made now; idempotent.</summary>
    public async Task StartAsync(GraphStep step, CancellationToken cancel)
    {
        switch (Campaign.Manifest(step).Action)
        {
            case StepAction.LocalMigration:
                await ApplyAllAsync(Campaign.RollbackObjects(step, ObjectRole.RollbackMigration), cancel);
                break;
            case StepAction.LiveMigration:
                await MigrateBackAsync(step, cancel);
                break;
            default:
                await RestartOriginalAsync(step, cancel);
                break;
        }
    }

    /// <summary>Where the reversal stands, and why it failed if it did.</summary>
    public async Task<(StepOutcome Outcome, string? Reason)> ObserveAsync(GraphStep step, CancellationToken cancel)
    {
        var action = Campaign.Manifest(step).Action;
        if (action is not (StepAction.LocalMigration or StepAction.LiveMigration))
        {
            var original = await context.VmAsync(step, step.From!.Cluster, "VirtualMachineInstance", cancel);
            return (original?["status"]?["phase"]?.GetValue<string>() == "Running" ? StepOutcome.Succeeded : StepOutcome.Missing, null);
        }

        var vmim = Campaign.RollbackObjects(step, action == StepAction.LocalMigration ? ObjectRole.RollbackMigration : ObjectRole.RollbackSenderMigration).Single();
        var live = await context.GetAsync(vmim, cancel);
        return live?["status"]?["phase"]?.GetValue<string>() switch
        {
            "Succeeded" => (StepOutcome.Succeeded, null),
            "Failed" => (StepOutcome.Failed, live["status"]?["migrationState"]?["failureReason"]?.GetValue<string>() ?? "the migration back failed"),
            _ => (live is null ? StepOutcome.Missing : StepOutcome.Running, null),
        };
    }

    /// <summary>Deletes a failed reversal's VMIMs so that a retry makes them afresh.</summary>
    public async Task CleanUpAsync(GraphStep step, CancellationToken cancel)
    {
        foreach (var placed in Campaign.Manifest(step).Rollback.Where(o => o.Role is ObjectRole.RollbackMigration or ObjectRole.RollbackReceiveMigration or ObjectRole.RollbackSenderMigration))
        {
            foreach (var obj in Campaign.RollbackObjects(step, placed.Role))
            {
                await context.DeleteAsync(obj, cancel);
            }
        }
    }

    private async Task MigrateBackAsync(GraphStep step, CancellationToken cancel)
    {
        var moved = await context.VmAsync(step, step.To!.Cluster, "VirtualMachine", cancel);
        foreach (var receiver in Campaign.RollbackObjects(step, ObjectRole.RollbackReceiverVm))
        {
            var annotations = (JsonObject)(receiver.Object["metadata"]!["annotations"] ??= new JsonObject());
            annotations[ReceiverDerivation.RestoreRunStrategyAnnotation] = moved is null ? "Always" : ReceiverDerivation.RunStrategyOf(moved);
            await context.ApplyAsync(receiver, cancel);
        }

        // The receiving VMIM is admitted only once the receiver's VMI exists; the next pass goes on.
        if (await context.VmAsync(step, step.From!.Cluster, "VirtualMachineInstance", cancel) is null)
        {
            return;
        }

        await ApplyAllAsync(Campaign.RollbackObjects(step, ObjectRole.RollbackReceiveMigration), cancel);
        await ApplyAllAsync(Campaign.RollbackObjects(step, ObjectRole.RollbackSenderMigration), cancel);
    }

    private async Task RestartOriginalAsync(GraphStep step, CancellationToken cancel)
    {
        var original = await context.VmAsync(step, step.From!.Cluster, "VirtualMachine", cancel);
        await ApplyAllAsync(Campaign.RollbackObjects(step, ObjectRole.RollbackHaltCopy), cancel);
        if (await context.VmAsync(step, step.To!.Cluster, "VirtualMachineInstance", cancel) is not null)
        {
            return;
        }

        var demote = Campaign.RollbackObjects(step, ObjectRole.RollbackDemote).ToList();
        await ApplyAllAsync(demote, cancel);
        if (!await gate.AllAsync(demote, "Secondary", cancel))
        {
            return;
        }

        var promote = Campaign.RollbackObjects(step, ObjectRole.RollbackPromote).ToList();
        await ApplyAllAsync(promote, cancel);
        if (!await gate.AllAsync(promote, "Primary", cancel))
        {
            return;
        }

        foreach (var restart in Campaign.RollbackObjects(step, ObjectRole.RollbackRestartOriginal))
        {
            restart.Object["spec"]!["runStrategy"] = original is null ? "Always" : ReceiverDerivation.RunStrategyOf(original);
            await context.ApplyAsync(restart, cancel);
        }
    }

    private async Task ApplyAllAsync(IEnumerable<PlacedObject> objects, CancellationToken cancel)
    {
        foreach (var placed in objects)
        {
            await context.ApplyAsync(placed, cancel);
        }
    }
}
