using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Reconcile.Reconciler.Discovery;

/// <summary>
/// Values as the plan language writes them (quantities, bandwidths, durations, rates), and the
/// readings of Kubernetes values discovery needs. Exact where the value is: 768Gi stays 768Gi, a
/// kubelet's 263518520Ki stays that.
/// </summary>
public static class PlanValues
{
    private const long MiB = 1L << 20;

    /// <summary>Bytes as a binary quantity when exact (64Gi, 512Mi, 4Ki), else plain bytes.</summary>
    public static string Bytes(long bytes)
    {
        foreach (var (unit, size) in new[] { ("Ti", 1L << 40), ("Gi", 1L << 30), ("Mi", MiB), ("Ki", 1L << 10) })
        {
            if (bytes != 0 && bytes % size == 0)
            {
                return (bytes / size).ToString(CultureInfo.InvariantCulture) + unit;
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A measured rate in whole MiB/s (whole KiB/s below 1 MiB/s): KubeVirt reports dirty rates in whole
    /// MiB/s, and finer digits of a percentile are noise a diff should not show.
    /// </summary>
    public static string Rate(double bytesPerSecond) =>
        bytesPerSecond < 512 ? "0"
        : bytesPerSecond >= MiB - (MiB / 2048)
            ? Math.Round(bytesPerSecond / MiB).ToString("0", CultureInfo.InvariantCulture) + "Mi"
            : Math.Max(1, Math.Round(bytesPerSecond / 1024)).ToString("0", CultureInfo.InvariantCulture) + "Ki";

    /// <summary>Bits per second with the largest exact decimal unit (20Gbps, 2.5Gbps, 100Mbps).</summary>
    public static string Bits(long bits)
    {
        foreach (var (unit, size) in new[] { ("Tbps", 1e12m), ("Gbps", 1e9m), ("Mbps", 1e6m), ("Kbps", 1e3m) })
        {
            var scaled = bits / size;
            if (scaled >= 1 && decimal.Round(scaled, 3) == scaled)
            {
                return scaled.ToString("0.###", CultureInfo.InvariantCulture) + unit;
            }
        }

        return bits.ToString(CultureInfo.InvariantCulture) + "bps";
    }

    /// <summary>A duration in the plan language: whole hours, minutes or seconds when exact, else milliseconds.</summary>
    public static string Duration(TimeSpan span)
    {
        var ms = (decimal)span.TotalMilliseconds;
        foreach (var (unit, size) in new[] { ("d", 86_400_000m), ("h", 3_600_000m), ("m", 60_000m), ("s", 1_000m) })
        {
            if (ms >= size && ms % size == 0)
            {
                return (ms / size).ToString("0", CultureInfo.InvariantCulture) + unit;
            }
        }

        return decimal.Round(ms, 3).ToString("0.###", CultureInfo.InvariantCulture) + "ms";
    }

    /// <summary>A Kubernetes quantity ("768Gi", "263518520Ki", "95500m") as a number, or null.</summary>
    public static decimal? Quantity(JsonNode? node)
    {
        var text = node switch
        {
            JsonValue value when value.TryGetValue<string>(out var s) => s,
            JsonValue value when value.TryGetValue<decimal>(out var d) => d.ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return new ResourceQuantity(text).ToDecimal();
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>The smallest network that holds every one of <paramref name="cidrs"/> (the nodes' podCIDRs), or null when they differ in family or do not parse.</summary>
    public static string? Supernet(IEnumerable<string> cidrs)
    {
        (BigInteger Start, int Prefix, int Width)? result = null;
        foreach (var cidr in cidrs)
        {
            var parts = cidr.Split('/');
            if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var address) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix))
            {
                return null;
            }

            var bytes = address.GetAddressBytes();
            var width = bytes.Length * 8;
            var start = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
            if (result is not { } current)
            {
                result = (start, Math.Min(prefix, width), width);
                continue;
            }

            if (current.Width != width)
            {
                return null;
            }

            var common = Math.Min(current.Prefix, prefix);
            while (common > 0 && (current.Start >> (width - common)) != (start >> (width - common)))
            {
                common--;
            }

            result = (current.Start >> (width - common) << (width - common), common, width);
        }

        if (result is not { } net)
        {
            return null;
        }

        var raw = net.Start.ToByteArray(isUnsigned: true, isBigEndian: true);
        var padded = new byte[net.Width / 8];
        raw.CopyTo(padded, padded.Length - raw.Length);
        return $"{new IPAddress(padded)}/{net.Prefix}";
    }

    public static string? Str(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    public static long? Long(JsonNode? node) => node is JsonValue value && value.TryGetValue<long>(out var l) ? l : Quantity(node) is { } q ? (long)q : null;

    public static bool? Bool(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var b) ? b : null;
}
