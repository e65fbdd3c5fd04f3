namespace Reconcile.Compiler.Facts;

/// <summary>
/// The fixed phases around a move's data transfer. They are no KubeVirt constants: they are what a
/// target pod and a storage switch typically take on a healthy cluster, and docs/model.md says so.
/// </summary>
public static class MigrationPhases
{
    /// <summary>
    /// Starting a virt-launcher pod and its domain: a live migration's target (the VMIM phases Scheduling,
    /// Scheduled, PreparingTarget, TargetReady; v1.6.2 staging/src/kubevirt.io/api/core/v1/types.go) or a
    /// VM's start after a cold move (VMI Scheduling to Running). KubeVirt's completion and progress clocks
    /// start after it (migrationMonitor.start, pkg/virt-launcher/virtwrap/live-migration-source.go).
    /// </summary>
    public static readonly TimeSpan TargetStart = TimeSpan.FromSeconds(10);

    /// <summary>Promoting the target replicas of a staged move once the source ones are demoted (csi-addons VolumeReplication).</summary>
    public static readonly TimeSpan ReplicaPromote = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often KubeVirt samples a migration's data remaining (monitorSleepPeriodMS, v1.6.2
    /// pkg/virt-launcher/virtwrap/live-migration-source.go): progress is a fall from one sample to the next.
    /// </summary>
    public static readonly TimeSpan ProgressSample = TimeSpan.FromMilliseconds(400);
}
