using Reconcile.Compiler.Model;

namespace Reconcile.Simulator.Network;

/// <summary>
/// The simulator's own TCP transport, written apart from the planner's: a connection moves at most its
/// window per round trip (the link's measured single-stream rate where it declares one, else the
/// link's tcpWindow or Linux's 4 MiB default send window over the link's round trip), encryption
/// overhead is taken off the top, and a link's capacity is shared max-min fairly between the flows on
/// it: a migration that cannot use its equal share (too few connections, or its own cap) leaves the
/// rest to the others.
/// </summary>
public static class LinkTransport
{
    private const double LinuxDefaultSendWindow = 4 * 1024 * 1024;

    /// <summary>Bytes per second one connection reaches over <paramref name="link"/>; unlimited without a link.</summary>
    public static double ConnectionBytesPerSecond(Link? link)
    {
        if (link is null)
        {
            return double.PositiveInfinity;
        }

        var capacity = link.BandwidthBitsPerSecond / 8.0;
        double single = link.StreamBitsPerSecond is { } stream
            ? stream / 8.0
            : link.Latency.TotalSeconds > 0 ? (link.TcpWindowBytes ?? LinuxDefaultSendWindow) / link.Latency.TotalSeconds : capacity;
        return Math.Min(single, capacity) * (1 - link.Overhead);
    }

    /// <summary>Max-min fair shares of <paramref name="capacity"/> between flows that each want at most their demand.</summary>
    public static IReadOnlyDictionary<string, double> Share(double capacity, IReadOnlyDictionary<string, double> demands)
    {
        var shares = new Dictionary<string, double>(StringComparer.Ordinal);
        var left = capacity;
        var waiting = demands.OrderBy(d => d.Value).ThenBy(d => d.Key, StringComparer.Ordinal).ToList();
        for (var i = 0; i < waiting.Count; i++)
        {
            var fair = left / (waiting.Count - i);
            var given = Math.Min(waiting[i].Value, fair);
            shares[waiting[i].Key] = given;
            left -= given;
        }

        return shares;
    }
}
