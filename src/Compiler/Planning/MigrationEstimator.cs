using Reconcile.Compiler.Model;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler.Planning;

/// <summary>The windowed (cut-over) part of one VM's move: bandwidth, bytes and predicted duration.</summary>
/// <param name="BytesPerSecond">Bandwidth the migration gets on its own: the hop's link (or the cluster's migration network) capped by bandwidthPerMigration.</param>
/// <param name="DiskBytes">Disk bytes copied inside the window (zero when storage is shared or was replicated ahead).</param>
/// <param name="Seconds">Predicted duration; infinite when pre-copy never converges.</param>
public sealed record MigrationEstimate(double BytesPerSecond, double DirtyRatio, PreCopyPrediction Memory, double DiskBytes, double Seconds, bool AutoConverged);

/// <summary>
/// First-order prediction of one VM's migration, used by validation (convergence, window fit).
/// It assumes the migration has its bandwidth to itself; the planner refines it with sharing.
/// </summary>
public static class MigrationEstimator
{
    /// <summary>The hop whose migration runs inside a window: via→to for staged-through moves, else from→to.</summary>
    public static (string From, string To) CutoverHop(Move move) => (move.Via ?? move.From, move.To);

    public static double HopBytesPerSecond(PlanScope scope, string from, string to)
    {
        long bits;
        if (from == to)
        {
            bits = scope.Cluster(from)?.Migration.BandwidthBitsPerSecond ?? 0;
        }
        else
        {
            bits = scope.Topology?.FindLink(from, to)?.BandwidthBitsPerSecond ?? 0;
        }

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

    public static MigrationEstimate Estimate(PlanScope scope, Vm vm, Move move)
    {
        var (from, to) = CutoverHop(move);
        var bandwidth = HopBytesPerSecond(scope, from, to);
        var strategy = scope.Plan.Strategy;
        var mode = scope.ModeOf(move);
        var disk = mode == MoveMode.Live
            ? vm.Volumes.Where(v => CopiesDisk(scope, v, from, to)).Sum(v => (double)v.SizeBytes)
            : 0;
        if (mode == MoveMode.Cold)
        {
            var coldDisk = vm.Volumes.Where(v => CopiesDisk(scope, v, move.From, move.To)).Sum(v => (double)v.SizeBytes);
            var cold = new PreCopyPrediction(0, 0, 0, 0, true);
            return new MigrationEstimate(bandwidth, 0, cold, coldDisk, bandwidth > 0 ? coldDisk / bandwidth : double.PositiveInfinity, false);
        }

        var ratio = PreCopyModel.DirtyRatio(vm.DirtyBytesPerSecond, bandwidth);
        var memory = PreCopyModel.Predict(vm.MemoryBytes, vm.DirtyBytesPerSecond, bandwidth, strategy.MaxDowntime.TotalSeconds);
        var throttled = false;
        if (!memory.Converges && strategy.AllowAutoConverge)
        {
            memory = PreCopyModel.Predict(vm.MemoryBytes, PreCopyModel.ThrottledDirtyRate(vm.DirtyBytesPerSecond, bandwidth), bandwidth, strategy.MaxDowntime.TotalSeconds);
            throttled = true;
        }

        if (!memory.Converges && strategy.AllowPostCopy && bandwidth > 0)
        {
            // Post-copy: one pre-copy pass, then every page once more at most.
            memory = new PreCopyPrediction(1, 2.0 * vm.MemoryBytes, 2.0 * vm.MemoryBytes / bandwidth, 0, true);
        }

        var seconds = memory.Converges && bandwidth > 0 ? memory.Seconds + disk / bandwidth : double.PositiveInfinity;
        return new MigrationEstimate(bandwidth, ratio, memory, disk, seconds, throttled);
    }
}
