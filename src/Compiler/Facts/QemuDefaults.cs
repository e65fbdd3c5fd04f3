namespace Reconcile.Compiler.Facts;

/// <summary>
/// QEMU's own migration defaults, facts that the planner's model and the simulator both rely on
/// without sharing any model code: auto-converge (migration/options.c: trigger when the guest dirties
/// more than 50% of what a round sent, initial throttle 20%, step 10%, at most 99%, after two such
/// syncs) and the downtime target QEMU applies when KubeVirt sets none
/// (QEMUDefaultTargetDowntimeMS, kubevirt pkg/util/migrations/migrations.go).
/// </summary>
public static class QemuDefaults
{
    public const double ThrottleTrigger = 0.5;
    public const double ThrottleInitial = 0.20;
    public const double ThrottleIncrement = 0.10;
    public const double ThrottleMax = 0.99;

    public static readonly TimeSpan MaxDowntime = TimeSpan.FromMilliseconds(300);
}
