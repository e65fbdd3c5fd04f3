using Reconcile.Compiler.Planning;

namespace Reconcile.Reconciler.Execution;

/// <summary>What can happen to an attempt of a step in one pass.</summary>
public enum StepTransitionKind
{
    Started,
    Succeeded,

    /// <summary>The attempt failed; the step is retried later or, without retries left, has failed.</summary>
    Failed,

    /// <summary>A live migration still running when its window closed: stopped, the step waits for the next window.</summary>
    CancelledAtWindowClose,
}

/// <summary>
/// One step's change in a pass, typed (the Events say the same in words). The metrics count these:
/// by plan, by hop (the step's source and target cluster), with the attempt's duration beside the
/// duration the compiler predicted.
/// </summary>
/// <param name="Seconds">How long the attempt ran, for an attempt that ended this pass.</param>
/// <param name="OverranWindow">The attempt was still running when its window closed (a cancelled live migration, or a cold move or staged cut-over that finished after it).</param>
public sealed record StepTransition(GraphStep Step, StepTransitionKind Kind, double? Seconds, bool OverranWindow);
