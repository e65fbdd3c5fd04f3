using Reconcile.Compiler.Planning;

namespace Reconcile.Compiler.Tests;

/// <summary>The transport model's pieces against figures computed by hand (issue 12).</summary>
public sealed class TransportModelTests
{
    private const double MiB = 1024 * 1024;
    private const double GiB = 1024 * MiB;

    // Frankfurt–Singapore: 10 Gbit/s, 170 ms round trip, Linux's default 4 MiB window.
    private static readonly TransportPath Border = new(10e9 / 8, 0.170, null, TransportModel.DefaultWindowBytes, 0);

    [Fact]
    public void One_connection_at_170ms_with_a_4MiB_window_moves_about_24_7_MB_per_second()
    {
        // 4 194 304 B / 0.170 s = 24 672 376 B/s, whatever the link's 1.25 GB/s.
        Assert.Equal(24_672_376, Border.PerConnection, 0);
    }

    [Fact]
    public void A_100GiB_disk_over_one_NBD_connection_takes_72_minutes()
    {
        // 107 374 182 400 B / 24 672 376 B/s = 4 352 s.
        Assert.Equal(4352, TransportModel.DiskSeconds([100 * GiB], Border, cap: 250e6), 0);
        // Two disks run side by side on two connections: the larger one decides.
        Assert.Equal(4352, TransportModel.DiskSeconds([100 * GiB, 50 * GiB], Border, cap: 250e6), 0);
        // On a fast path (no round trip) the cap is shared: 150 GiB at 250 MB/s = 644 s.
        Assert.Equal(644.2, TransportModel.DiskSeconds([100 * GiB, 50 * GiB], new TransportPath(10e9 / 8, 0, null, TransportModel.DefaultWindowBytes, 0), cap: 250e6), 1);
    }

    [Fact]
    public void Writes_during_the_mirror_cross_too_and_a_disk_written_faster_than_sent_never_finishes()
    {
        // 100 GiB written at 10 MiB/s while one 24.67 MB/s connection mirrors it: it shrinks at 14.19 MB/s, 7 569 s.
        Assert.Equal(7568.7, TransportModel.DiskSeconds([(100 * GiB, 10 * MiB)], Border, cap: 250e6), 1);
        Assert.Equal(double.PositiveInfinity, TransportModel.DiskSeconds([(100 * GiB, 24 * MiB)], Border, cap: 250e6));
    }

    [Fact]
    public void Eight_memory_connections_are_capped_by_bandwidthPerMigration()
    {
        // 8 × 24.67 MB/s = 197.4 MB/s under a 2 Gbit/s cap (250 MB/s); under 1 Gbit/s the cap (125 MB/s) decides.
        Assert.Equal(197_379_012, TransportModel.MemoryBytesPerSecond(Border, TransportModel.MemoryConnections(postCopy: false, cpuLimit: false), cap: 250e6), 0);
        Assert.Equal(125e6, TransportModel.MemoryBytesPerSecond(Border, 8, cap: 125e6), 0);
        // Post-copy allowed: one connection (configureParallelMigrationThreads).
        Assert.Equal(1, TransportModel.MemoryConnections(postCopy: true, cpuLimit: false));
        Assert.Equal(24_672_376, TransportModel.MemoryBytesPerSecond(Border, 1, cap: 250e6), 0);
    }

    [Fact]
    public void A_measured_stream_rate_and_overhead_replace_the_window_estimate()
    {
        var measured = Border with { StreamBytesPerSecond = 40e6, Overhead = 0.1 };
        Assert.Equal(36e6, measured.PerConnection, 0);
        Assert.Equal(1.125e9, measured.Link, 0);
        var larger = Border with { WindowBytes = 16 * MiB };
        Assert.Equal(16 * MiB / 0.170, larger.PerConnection, 0);
    }

    [Fact]
    public void The_databases_live_border_crossing_takes_hours_not_minutes()
    {
        // payments/db-0 live from fra-1 to sgp-1 (170 ms) at a 2 Gbit/s cap: its 500 GiB data disk crosses on
        // one connection at 24.7 MB/s while the guest writes 20 MiB/s to it, so it shrinks at only 3.7 MB/s:
        // 536 870 912 000 B / 3 700 856 B/s = 145 065 s, about 40 hours (why the example stages it).
        var (validation, _) = PlannerTests.PlanPath("plans/examples/fra-to-sgp", PlannerTests.Now);
        var scope = Semantics.PlanScope.Create(validation.Model.Plans[0], validation.Model);
        var db0 = scope.Vms.Single(v => v.Id == "payments/db-0");
        var prediction = MigrationEstimator.Migration(scope, db0, "fra-1", "sgp-1", 250e6, MigrationEstimator.DiskBytes(db0, "fra-1", "sgp-1"));
        var shrink = 4.0 * MiB / 0.170 - 20 * MiB;
        Assert.InRange(prediction.Seconds, 500 * GiB / shrink, 500 * GiB / shrink + 1200);
        Assert.True(prediction.Seconds > 40 * 3600);
        Assert.Equal(600 * GiB + prediction.RoundList.Sum(r => r.Bytes), prediction.BytesSent, 0.1 * GiB);
    }

    private static (Semantics.PlanScope Scope, Model.Vm Db0) FraToSgp()
    {
        var (validation, _) = PlannerTests.PlanPath("plans/examples/fra-to-sgp", PlannerTests.Now);
        var scope = Semantics.PlanScope.Create(validation.Model.Plans[0], validation.Model);
        return (scope, scope.Vms.Single(v => v.Id == "payments/db-0"));
    }

    [Fact]
    public void A_VMI_with_a_CPU_limit_sends_its_memory_over_one_connection()
    {
        // configureParallelMigrationThreads: no multifd threads under a non-zero CPU limit, so 24.67 MB/s instead of 197.4.
        var (scope, db0) = FraToSgp();
        Assert.Equal(197_379_012, MigrationEstimator.MemoryBytesPerSecond(scope, db0, "fra-1", "sgp-1", 250e6), 0);
        Assert.Equal(24_672_376, MigrationEstimator.MemoryBytesPerSecond(scope, db0 with { Cpu = db0.Cpu with { Limit = "4" } }, "fra-1", "sgp-1", 250e6), 0);
        Assert.Equal(197_379_012, MigrationEstimator.MemoryBytesPerSecond(scope, db0 with { Cpu = db0.Cpu with { Limit = "0" } }, "fra-1", "sgp-1", 250e6), 0);
        Assert.True(db0.Cpu with { Limit = "500m" } is { Limited: true });
    }

    [Fact]
    public void A_cold_move_is_the_guests_shutdown_the_copy_and_the_start_and_its_downtime_adds_the_boot()
    {
        // db-0 cold from fra-1 to sgp-1: 100 GiB and 500 GiB on one CDI connection each at 24.67 MB/s (the link is
        // far from full), so the 500 GiB disk decides: 536 870 912 000 / 24 672 376 = 21 760 s. Its guest powers
        // off in 12 s (measured, under the 30 s grace period), the target pod starts in 10 s, it boots in 45 s.
        var (scope, db0) = FraToSgp();
        var measured = db0 with { Guest = db0.Guest with { ShutdownTime = TimeSpan.FromSeconds(12), BootTime = TimeSpan.FromSeconds(45) } };
        var import = MigrationEstimator.ImportBytesPerSecond(scope, measured, "fra-1", "sgp-1");
        Assert.Equal(2 * 24_672_376, import, 1);
        var cold = MigrationEstimator.ColdMove(scope, measured, "fra-1", "sgp-1", import);
        var copy = 500 * GiB / (4 * MiB / 0.170);
        Assert.Equal(12 + copy + 10, cold.Seconds, 1);
        Assert.Equal(12 + copy + 10 + 45, cold.DowntimeSeconds, 1);

        // A guest that ignores the request is killed at its grace period: 30 s by default, or what the VM sets.
        var stubborn = db0 with { Guest = db0.Guest with { ShutdownTime = TimeSpan.FromMinutes(5) } };
        Assert.Equal(TimeSpan.FromSeconds(30), stubborn.ShutdownTime);
        Assert.Equal(TimeSpan.FromMinutes(2), (stubborn with { TerminationGracePeriod = TimeSpan.FromMinutes(2) }).ShutdownTime);
    }

    [Fact]
    public void A_staged_cut_over_sends_half_an_RPO_of_writes_after_the_shutdown()
    {
        // db-0's data disk takes 20 MiB/s of writes; rbd-mirror syncs every 5 minutes, so on average 150 s of writes
        // (3 000 MiB) are left when the guest is off: 3 145 728 000 B / 250 MB/s = 12.58 s. With the 30 s grace
        // period (no measured shutdown), 5 s to promote and 10 s to start: 57.58 s; the boot (strategy.bootTime) follows.
        var (scope, db0) = FraToSgp();
        var cutover = MigrationEstimator.ReplicaCutover(scope, db0, "fra-2", "sgp-1", 250e6);
        Assert.Equal(3_145_728_000, cutover.BytesSent, 0);
        Assert.Equal(57.58, cutover.Seconds, 2);
        Assert.Equal(57.58 + scope.Plan.Strategy.BootTime.TotalSeconds, cutover.DowntimeSeconds, 2);
    }

    [Fact]
    public void Only_a_disk_written_as_fast_as_its_mirror_connection_stalls_KubeVirts_progress_watch()
    {
        // 20 MiB/s of writes against one 24.67 MB/s connection drains (slowly); 24 MiB/s does not.
        var (scope, db0) = FraToSgp();
        Assert.Null(MigrationEstimator.UndrainableDisk(scope, db0, "fra-1", "sgp-1", 250e6));
        var hot = db0 with { Volumes = [.. db0.Volumes.Select(v => v.Name == "data" ? v with { WriteBytesPerSecond = 24 * (long)MiB } : v)] };
        Assert.Equal("data", MigrationEstimator.UndrainableDisk(scope, hot, "fra-1", "sgp-1", 250e6)?.Volume.Name);
        // Inside one cluster nothing is mirrored.
        Assert.Null(MigrationEstimator.UndrainableDisk(scope, hot, "fra-1", "fra-1", 250e6));

        // Pre-copy that never converges still shows progress between KubeVirt's 400 ms samples: its rounds stay long.
        var memory = PreCopyModel.Simulate(new MigrationInputs(8 * GiB, 300 * MiB, 200 * MiB, 0.3, false, false, 0, 0));
        Assert.False(memory.Converges);
        Assert.Equal(0, memory.StallSeconds);
    }
}
