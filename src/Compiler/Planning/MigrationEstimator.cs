using Reconcile.Compiler.Model;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler.Planning;

/// <summary>
/// Predictions for the data-moving steps of one VM's move, at a given bandwidth. Validation uses
/// them with the bandwidth a migration would have to itself; the scheduler with its planned share.
/// </summary>
public static class MigrationEstimator
{
    /// <summary>The hop whose migration lands in the target cluster: via→to for staged-through moves, else from→to.</summary>
    public static (string From, string To) CutoverHop(Move move) => (move.Via ?? move.From, move.To);

    /// <summary>The most a single migration on this hop can get: the link (or the cluster's migration network) capped by bandwidthPerMigration.</summary>
    public static double HopBytesPerSecond(PlanScope scope, string from, string to)
    {
        long bits = from == to
            ? scope.Cluster(from)?.Migration.BandwidthBitsPerSecond ?? 0
            : scope.Topology?.FindLink(from, to)?.BandwidthBitsPerSecond ?? 0;
        if (scope.Plan.Strategy.BandwidthPerMigrationBitsPerSecond is { } cap && cap > 0)
        {
            bits = bits == 0 ? cap : Math.Min(bits, cap);
        }

        return bits / 8.0;
    }

    /// <summary>Whether a volume's bytes must cross from one cluster to the other (storage not shared).</summary>
    public static bool CopiesDisk(PlanScope scope, Volume volume, string from, string to)
    {
        if (from == to)
        {
            return false;
        }

        var storageClass = volume.StorageClass is { } name ? scope.Cluster(from)?.FindStorageClass(name) : null;
        return storageClass is null || !storageClass.SharedWith.Contains(to);
    }

    public static double DiskBytes(PlanScope scope, Vm vm, string from, string to) =>
        vm.Volumes.Where(v => CopiesDisk(scope, v, from, to)).Sum(v => (double)v.SizeBytes);

    /// <summary>
    /// Disk bytes that change while disks replicate and must be copied again at cut-over:
    /// the VM's write rate over the replication time.
    /// </summary>
    public static double DeltaBytes(Vm vm, double replicationSeconds) =>
        vm.Volumes.Sum(v => (double)v.WriteBytesPerSecond) * replicationSeconds;

    /// <summary>Latency of the hop (zero inside a cluster).</summary>
    public static double LatencySeconds(PlanScope scope, string from, string to) =>
        from == to ? 0 : scope.Topology?.FindLink(from, to)?.Latency.TotalSeconds ?? 0;

    /// <summary>A live migration of <paramref name="vm"/> on one hop, carrying <paramref name="diskBytes"/> of disk with it.</summary>
    public static MigrationPrediction Migration(PlanScope scope, Vm vm, string from, string to, double bytesPerSecond, double diskBytes)
    {
        var strategy = scope.Plan.Strategy;
        return PreCopyModel.Simulate(new MigrationInputs(
            vm.MemoryBytes, vm.DirtyBytesPerSecond, bytesPerSecond, strategy.MaxDowntime.TotalSeconds,
            strategy.AllowAutoConverge, strategy.AllowPostCopy, diskBytes, LatencySeconds(scope, from, to)));
    }

    /// <summary>A plain copy of <paramref name="bytes"/> (replicate-storage, or a cold move's disks).</summary>
    public static MigrationPrediction Copy(double bytes, double bytesPerSecond) =>
        bytesPerSecond <= 0
            ? new MigrationPrediction([], 0, bytes, double.PositiveInfinity, 0, false, CopyMode.PreCopy, 0, 0)
            : new MigrationPrediction([], 0, bytes, bytes / bytesPerSecond, 0, true, CopyMode.PreCopy, 0, 0);

    /// <summary>
    /// The windowed cut-over of the move on its own bandwidth, as validation estimates it: Live carries
    /// unshared disks; Staged carries the delta of a replication at the same bandwidth; Cold copies disks
    /// with the VM stopped.
    /// </summary>
    public static MigrationPrediction Cutover(PlanScope scope, Vm vm, Move move)
    {
        var (from, to) = CutoverHop(move);
        var bandwidth = HopBytesPerSecond(scope, from, to);
        var disk = DiskBytes(scope, vm, from, to);
        return scope.ModeOf(move) switch
        {
            MoveMode.Cold => Copy(DiskBytes(scope, vm, move.From, move.To), bandwidth),
            MoveMode.Staged => Migration(scope, vm, from, to, bandwidth, bandwidth > 0 ? DeltaBytes(vm, disk / bandwidth) : 0),
            _ => move.Via is not null
                ? Migration(scope, vm, from, to, bandwidth, bandwidth > 0 ? DeltaBytes(vm, disk / bandwidth) : 0)
                : Migration(scope, vm, from, to, bandwidth, disk),
        };
    }

    /// <summary>KubeVirt's completion deadline: completionTimeoutPerGiB × (memory + migrated disks) in GiB.</summary>
    public static double CompletionDeadlineSeconds(PlanScope scope, Vm vm, double diskBytes) =>
        scope.Plan.Strategy.CompletionTimeoutPerGiB.TotalSeconds * (vm.MemoryBytes + diskBytes) / (1024.0 * 1024 * 1024);
}
