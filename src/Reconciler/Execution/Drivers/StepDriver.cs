using Reconcile.Compiler.Execution;
using Reconcile.Compiler.Planning;

namespace Reconcile.Reconciler.Execution.Drivers;

/// <summary>What a step's objects say about it.</summary>
internal enum StepOutcome
{
    Running,
    Succeeded,
    Failed,
    /// <summary>Started, but its objects are gone or not all made yet: start it again (idempotent).</summary>
    Missing,
}

/// <summary>
/// Carries out one kind of step (StepAction) from its manifest: makes its objects, reads their status,
/// and cleans up after a failure. Every method is idempotent, since a restarted reconciler or the next
/// pass calls it again with only the cluster's state to go on.
/// </summary>
internal abstract class StepDriver(StepContext context)
{
    protected StepContext Context { get; } = context;

    protected CompiledCampaign Campaign => Context.Campaign;

    /// <summary>Whether a running step is cancelled when its window closes (a live migration: the VM keeps running where it was).</summary>
    public virtual bool CancelAtWindowClose => false;

    /// <summary>Makes the step's objects, as far as they may be made now.</summary>
    public virtual async Task StartAsync(GraphStep step, CancellationToken cancel)
    {
        foreach (var placed in Campaign.Objects(step))
        {
            await Context.ApplyAsync(placed, cancel);
        }
    }

    public abstract Task<StepOutcome> ObserveAsync(GraphStep step, CancellationToken cancel);

    /// <summary>Deletes what a retry must make afresh; nothing by default.</summary>
    public virtual Task CleanUpAsync(GraphStep step, CancellationToken cancel) => Task.CompletedTask;

    public virtual Task<string> FailureReasonAsync(GraphStep step, CancellationToken cancel) =>
        Task.FromResult(Context.Problems.GetValueOrDefault(step.Id) ?? $"{step.Kind} failed");

    /// <summary>Missing when any of the step's objects of <paramref name="roles"/> is not there.</summary>
    protected async Task<bool> AllExistAsync(GraphStep step, CancellationToken cancel, params ObjectRole[] roles)
    {
        foreach (var placed in Campaign.Objects(step).Where(o => roles.Contains(o.Role)))
        {
            if (await Context.GetAsync(placed, cancel) is null)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>A VirtualMachineSnapshot before the VM's first migration (S31): done when readyToUse.</summary>
internal sealed class SnapshotDriver(StepContext context) : StepDriver(context)
{
    public override async Task<StepOutcome> ObserveAsync(GraphStep step, CancellationToken cancel)
    {
        if (Campaign.Objects(step, ObjectRole.Snapshot).FirstOrDefault() is not { } snapshot)
        {
            return StepOutcome.Succeeded;
        }

        var live = await Context.GetAsync(snapshot, cancel);
        return live is null ? StepOutcome.Missing
            : live["status"]?["readyToUse"]?.GetValue<bool>() == true ? StepOutcome.Succeeded
            : live["status"]?["phase"]?.GetValue<string>() == "Failed" ? StepOutcome.Failed
            : StepOutcome.Running;
    }
}

/// <summary>The VM runs on the target (S20), with its guest agent connected when the plan asks for it.</summary>
internal sealed class VerifyDriver(StepContext context) : StepDriver(context)
{
    public override async Task<StepOutcome> ObserveAsync(GraphStep step, CancellationToken cancel)
    {
        if (await Context.RunningVmiAtTargetAsync(step, cancel) is not { } vmi)
        {
            return StepOutcome.Running;
        }

        return !Campaign.Policy.VerifyGuestAgent ||
               vmi["status"]?["conditions"]?.AsArray().Any(c => c?["type"]?.GetValue<string>() == "AgentConnected" && c["status"]?.GetValue<string>() == "True") == true
            ? StepOutcome.Succeeded
            : StepOutcome.Running;
    }
}
