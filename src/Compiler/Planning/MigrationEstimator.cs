using Reconcile.Compiler.Facts;
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

    /// <summary>
    /// Whether a volume's bytes are copied on a hop: always across clusters, never inside one. KubeVirt's
    /// decentralized migration marks every DataVolume and PVC volume as migrated and mirrors it into the
    /// receiver's volumes (v1.6.2 `patchMigratedVolumesForDecentralizedMigration`,
    /// pkg/virt-controller/watch/migration/decentralized.go), whatever storage the clusters share; a
    /// cold move copies each disk through an export. Inside a cluster the volume stays where it is.
    /// </summary>
    public static bool CopiesDisk(string from, string to) => from != to;

    public static double DiskBytes(Vm vm, string from, string to) =>
        CopiesDisk(from, to) ? vm.Volumes.Sum(v => (double)v.SizeBytes) : 0;

    /// <summary>Latency of the hop (zero inside a cluster).</summary>
    public static double LatencySeconds(PlanScope scope, string from, string to) =>
        from == to ? 0 : scope.Topology?.FindLink(from, to)?.Latency.TotalSeconds ?? 0;

    /// <summary>
    /// A live migration of <paramref name="vm"/> on one hop within <paramref name="bytesPerSecond"/> (its share of
    /// the link, capped by bandwidthPerMigration), carrying <paramref name="diskBytes"/> of disk: the disks'
    /// mirror first, each disk on its own connection, then the memory's pre-copy rounds on its connections
    /// (TransportModel), each connection bounded by its window per round trip.
    /// </summary>
    public static MigrationPrediction Migration(PlanScope scope, Vm vm, string from, string to, double bytesPerSecond, double diskBytes)
    {
        var strategy = scope.Plan.Strategy;
        var path = TransportModel.Path(scope.Topology, scope.Cluster(from), from, to);
        var memoryRate = TransportModel.MemoryBytesPerSecond(path, TransportModel.MemoryConnections(strategy.AllowPostCopy, vm.Cpu.Limited), bytesPerSecond);
        var memory = PreCopyModel.Simulate(new MigrationInputs(
            vm.MemoryBytes, vm.DirtyBytesPerSecond, memoryRate, MaxDowntime(scope, from).TotalSeconds,
            strategy.AllowAutoConverge, strategy.AllowPostCopy, 0, LatencySeconds(scope, from, to)));
        // The target pod starts before any byte moves (KubeVirt's timeouts count from after it).
        memory = memory with { Seconds = memory.Seconds + MigrationPhases.TargetStart.TotalSeconds };
        if (diskBytes <= 0)
        {
            return memory;
        }

        // The guest writes to its disks while they are mirrored (the Inventory's writeRate): those writes cross too.
        var disks = TransportModel.DiskSeconds(vm.Volumes.Select(v => ((double)v.SizeBytes, (double)v.WriteBytesPerSecond)), path, bytesPerSecond);
        return memory with
        {
            Seconds = memory.Seconds + disks,
            BytesSent = memory.BytesSent + diskBytes,
            Converges = memory.Converges && double.IsFinite(disks),
        };
    }

    /// <summary>
    /// The first disk of <paramref name="vm"/> whose mirror never drains on the hop: the guest writes to it at
    /// least as fast as its one connection carries, so the data remaining never falls and KubeVirt's
    /// progressTimeout aborts the migration (nothing helps: the mirror runs before memory is sent).
    /// </summary>
    public static (Volume Volume, double ConnectionBytesPerSecond)? UndrainableDisk(PlanScope scope, Vm vm, string from, string to, double bytesPerSecond)
    {
        if (!CopiesDisk(from, to))
        {
            return null;
        }

        var path = TransportModel.Path(scope.Topology, scope.Cluster(from), from, to);
        var disks = vm.Volumes.Where(v => v.SizeBytes > 0).ToList();
        var each = disks.Count == 0 ? 0 : Math.Min(path.PerConnection, Math.Min(bytesPerSecond, path.Link) / disks.Count);
        return disks.FirstOrDefault(v => v.WriteBytesPerSecond > 0 && v.WriteBytesPerSecond >= each) is { } volume ? (volume, each) : null;
    }

    /// <summary>The memory stream's rate on a hop: 8 multifd connections (one with post-copy), within the migration's bandwidth.</summary>
    public static double MemoryBytesPerSecond(PlanScope scope, Vm vm, string from, string to, double bytesPerSecond) =>
        TransportModel.MemoryBytesPerSecond(TransportModel.Path(scope.Topology, scope.Cluster(from), from, to),
            TransportModel.MemoryConnections(scope.Plan.Strategy.AllowPostCopy, vm.Cpu.Limited), bytesPerSecond);

    /// <summary>
    /// The downtime limit a migration sent from <paramref name="from"/> really gets: the plan's
    /// maxDowntime where the sending cluster's release applies it, QEMU's 300 ms otherwise (RC3021).
    /// </summary>
    public static TimeSpan MaxDowntime(PlanScope scope, string from) =>
        scope.Cluster(from)?.KubeVirt.EffectiveMaxDowntime(scope.Plan.Strategy.MaxDowntime) ?? scope.Plan.Strategy.MaxDowntime;

    /// <summary>A plain copy of <paramref name="bytes"/> (replicate-storage, or a cold move's disks).</summary>
    public static MigrationPrediction Copy(double bytes, double bytesPerSecond) =>
        bytesPerSecond <= 0
            ? new MigrationPrediction([], 0, bytes, double.PositiveInfinity, 0, false, CopyMode.PreCopy, 0, 0)
            : new MigrationPrediction([], 0, bytes, bytes / bytesPerSecond, 0, true, CopyMode.PreCopy, 0, 0);

    /// <summary>
    /// The windowed cut-over of the move on its own bandwidth, as validation estimates it: a live
    /// migration carrying every disk across clusters, a cold copy, or the cold cut-over of a staged move
    /// over its replicated disks.
    /// </summary>
    public static MigrationPrediction Cutover(PlanScope scope, Vm vm, Move move)
    {
        var (from, to) = CutoverHop(move);
        var bandwidth = HopBytesPerSecond(scope, from, to);
        if (scope.LandsLive(move))
        {
            return Migration(scope, vm, from, to, bandwidth, DiskBytes(vm, from, to));
        }

        return scope.ModeOf(move) == MoveMode.Staged
            ? ReplicaCutover(scope, vm, from, to, bandwidth)
            : ColdMove(scope, vm, from, to, ImportBytesPerSecond(scope, vm, from, to));
    }

    /// <summary>
    /// A cold move: the guest shuts down (its measured shutdown, at most its grace period), its disks are
    /// copied through an export, each disk streamed by CDI's importer over one HTTPS connection
    /// (TransportModel), and the VM starts on the target. The step ends when its VMI runs there; the guest
    /// then boots (guest.bootTime, else strategy.bootTime), which the verify step waits for. Downtime is
    /// all of it.
    /// </summary>
    public static MigrationPrediction ColdMove(PlanScope scope, Vm vm, string from, string to, double bytesPerSecond)
    {
        var diskBytes = DiskBytes(vm, from, to);
        var path = TransportModel.Path(scope.Topology, scope.Cluster(from), from, to);
        var copySeconds = diskBytes <= 0 ? 0 : TransportModel.DiskSeconds(vm.Volumes.Select(v => (double)v.SizeBytes), path, bytesPerSecond);
        var seconds = vm.ShutdownTime.TotalSeconds + copySeconds + MigrationPhases.TargetStart.TotalSeconds;
        return new MigrationPrediction([], 0, diskBytes, seconds, seconds + BootTime(scope, vm).TotalSeconds, double.IsFinite(copySeconds), CopyMode.PreCopy, 0, 0);
    }

    /// <summary>
    /// The cold cut-over of a staged move whose disks the storage replicates (S28): stop the guest, demote
    /// the source replicas (what was written since the last scheduled sync crosses: on average half an
    /// RPO's writes), promote the target ones, start the VM; then it boots. The replicate step counted the disks.
    /// </summary>
    public static MigrationPrediction ReplicaCutover(PlanScope scope, Vm vm, string from, string to, double bytesPerSecond)
    {
        var rpo = ReplicationRpo(scope, vm, from, to) ?? TimeSpan.Zero;
        var finalBytes = vm.Volumes.Sum(v => (double)v.WriteBytesPerSecond) * rpo.TotalSeconds / 2;
        var syncSeconds = finalBytes <= 0 ? 0 : bytesPerSecond > 0 ? finalBytes / bytesPerSecond : double.PositiveInfinity;
        var seconds = vm.ShutdownTime.TotalSeconds + syncSeconds + MigrationPhases.ReplicaPromote.TotalSeconds + MigrationPhases.TargetStart.TotalSeconds;
        return new MigrationPrediction([], 0, finalBytes, seconds, seconds + BootTime(scope, vm).TotalSeconds, double.IsFinite(syncSeconds), CopyMode.PreCopy, 0, 0);
    }

    /// <summary>
    /// What a cold move's copy takes of the path: each disk is one CDI importer on one HTTPS connection, and
    /// bandwidthPerMigration (a KubeVirt migration setting) does not hold them back; at most the link.
    /// </summary>
    public static double ImportBytesPerSecond(PlanScope scope, Vm vm, string from, string to)
    {
        var path = TransportModel.Path(scope.Topology, scope.Cluster(from), from, to);
        var disks = vm.Volumes.Count(v => v.SizeBytes > 0);
        return Math.Floor(Math.Min(Math.Max(1, disks) * path.PerConnection, path.Link));
    }

    /// <summary>How long the guest takes from its VMI running to its agent connecting: measured per VM, else the plan's strategy.bootTime.</summary>
    public static TimeSpan BootTime(PlanScope scope, Vm vm) => vm.Guest.BootTime ?? scope.Plan.Strategy.BootTime;

    /// <summary>The longest RPO of the replication every disk of the VM has from <paramref name="from"/> to <paramref name="to"/>; null when a disk has none (RC3027).</summary>
    public static TimeSpan? ReplicationRpo(PlanScope scope, Vm vm, string from, string to)
    {
        var cluster = scope.Cluster(from);
        TimeSpan longest = TimeSpan.Zero;
        foreach (var volume in vm.Volumes)
        {
            if (volume.StorageClass is not { } name || cluster?.FindStorageClass(name)?.ReplicationTo(to) is not { } replication)
            {
                return null;
            }

            longest = replication.Rpo > longest ? replication.Rpo : longest;
        }

        return longest;
    }

    /// <summary>
    /// KubeVirt's completion deadline: completionTimeoutPerGiB × the migration's data in whole GB, rounded up
    /// (guest memory plus migrated volumes, `memory.ScaledValue(resource.Giga)`: getVMIMigrationDataSize,
    /// v1.6.2 pkg/virt-launcher/virtwrap/manager.go) — decimal GB despite the setting's name.
    /// </summary>
    public static double CompletionDeadlineSeconds(PlanScope scope, Vm vm, double diskBytes) =>
        scope.Plan.Strategy.CompletionTimeoutPerGiB.TotalSeconds * Math.Ceiling((vm.MemoryBytes + diskBytes) / 1e9);
}
