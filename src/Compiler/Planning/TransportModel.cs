using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Planning;

/// <summary>The path one migration's connections take: what the link carries, its round trip, and what one TCP connection can do on it.</summary>
/// <param name="LinkBytesPerSecond">The link's aggregate bandwidth (or the cluster's migration network inside one cluster).</param>
/// <param name="RoundTripSeconds">The link's round-trip latency; zero inside a cluster.</param>
/// <param name="StreamBytesPerSecond">What one connection was measured to reach (link streamBandwidth), if declared.</param>
/// <param name="WindowBytes">The largest TCP window of one connection.</param>
/// <param name="Overhead">The fraction of the bandwidth encryption or a VPN costs.</param>
public sealed record TransportPath(double LinkBytesPerSecond, double RoundTripSeconds, double? StreamBytesPerSecond, double WindowBytes, double Overhead)
{
    /// <summary>One TCP connection: at most its window per round trip (or its measured rate), never more than the link.</summary>
    public double PerConnection
    {
        get
        {
            var limit = StreamBytesPerSecond ?? (RoundTripSeconds > 0 ? WindowBytes / RoundTripSeconds : double.PositiveInfinity);
            return Math.Min(limit, LinkBytesPerSecond) * (1 - Overhead);
        }
    }

    public double Link => LinkBytesPerSecond * (1 - Overhead);
}

/// <summary>
/// How KubeVirt's live migration uses TCP, and so what a WAN does to it. Memory goes over 8 multifd
/// connections (parallelMultifdMigrationThreads, v1.6.2 pkg/virt-handler/controller.go), or one when
/// post-copy is allowed or the VMI has a CPU limit (configureParallelMigrationThreads,
/// pkg/virt-handler/migration-source.go); every disk that is copied goes over its own NBD connection
/// (libvirt's drive-mirror under VIR_MIGRATE_NON_SHARED_INC, pkg/virt-launcher/virtwrap/live-migration-source.go),
/// and the mirror completes before memory is sent. A connection carries at most its window per round
/// trip (Linux's default maximum send window, net.ipv4.tcp_wmem, is 4 MiB). Everything a migration sends
/// is capped by what it may use on the link: its share, bounded by bandwidthPerMigration.
/// </summary>
public static class TransportModel
{
    public const int MultifdConnections = 8;

    public const double DefaultWindowBytes = 4 * 1024 * 1024;

    /// <summary>The path of a hop: a link across clusters, the cluster's migration network inside one.</summary>
    public static TransportPath Path(Topology? topology, Cluster? cluster, string from, string to)
    {
        if (from == to || topology?.FindLink(from, to) is not { } link)
        {
            var bits = cluster?.Migration.BandwidthBitsPerSecond ?? 0;
            return new TransportPath(bits / 8.0, 0, null, DefaultWindowBytes, 0);
        }

        return new TransportPath(link.BandwidthBitsPerSecond / 8.0, link.Latency.TotalSeconds, link.StreamBitsPerSecond / 8.0,
            link.TcpWindowBytes ?? DefaultWindowBytes, link.Overhead);
    }

    /// <summary>8 multifd connections, or one with post-copy allowed or a CPU limit on the VMI.</summary>
    public static int MemoryConnections(bool postCopy, bool cpuLimit) => postCopy || cpuLimit ? 1 : MultifdConnections;

    /// <summary>The memory stream's rate: its connections, never more than the link or the migration's cap.</summary>
    public static double MemoryBytesPerSecond(TransportPath path, int connections, double cap) =>
        Math.Min(Math.Min(connections * path.PerConnection, path.Link), cap);

    /// <summary>
    /// The disk mirror's duration: every disk on its own connection at once; when their sum would exceed
    /// the cap (or the link), they share it equally, and a disk that finishes leaves its part to the rest.
    /// </summary>
    public static double DiskSeconds(IEnumerable<double> diskBytes, TransportPath path, double cap) =>
        DiskSeconds(diskBytes.Select(b => (b, 0.0)), path, cap);

    /// <summary>
    /// The mirror with the guest writing: libvirt's drive-mirror also sends what the guest writes to a disk
    /// while it is mirrored, so a disk shrinks at its rate less its write rate, and never finishes when it
    /// is written at least as fast as it is sent. Each disk is timed at the rate it starts with: its size
    /// grows by rate / (rate − writes).
    /// </summary>
    public static double DiskSeconds(IEnumerable<(double Bytes, double WriteBytesPerSecond)> disks, TransportPath path, double cap)
    {
        var list = disks.Where(d => d.Bytes > 0).ToList();
        var total = Math.Min(cap, path.Link);
        if (list.Count > 0 && total > 0 && list.Any(d => d.WriteBytesPerSecond > 0))
        {
            var start = Math.Min(path.PerConnection, total / list.Count);
            if (list.Any(d => d.WriteBytesPerSecond >= start))
            {
                return double.PositiveInfinity;
            }

            list = [.. list.Select(d => (d.Bytes * start / (start - d.WriteBytesPerSecond), 0.0))];
        }

        var remaining = list.Select(d => d.Bytes).OrderBy(b => b).ToList();
        if (remaining.Count == 0)
        {
            return 0;
        }

        if (total <= 0 || path.PerConnection <= 0)
        {
            return double.PositiveInfinity;
        }

        double seconds = 0, sent = 0;
        for (var i = 0; i < remaining.Count; i++)
        {
            // The smallest unfinished disk finishes next; until then every active disk runs at the same rate.
            var active = remaining.Count - i;
            var rate = Math.Min(path.PerConnection, total / active);
            seconds += (remaining[i] - sent) / rate;
            sent = remaining[i];
        }

        return seconds;
    }
}
