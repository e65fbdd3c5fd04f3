using System.Globalization;
using System.Text.RegularExpressions;

namespace Reconcile.Compiler.Model;

/// <summary>
/// Parses the plan's quantity notations. The schema has already checked the shape; these return
/// null only for values that overflow or are otherwise unusable.
/// </summary>
public static partial class Quantities
{
    private static readonly Dictionary<string, decimal> ByteMultipliers = new(StringComparer.Ordinal)
    {
        [""] = 1m,
        ["k"] = 1e3m,
        ["M"] = 1e6m,
        ["G"] = 1e9m,
        ["T"] = 1e12m,
        ["P"] = 1e15m,
        ["E"] = 1e18m,
        ["Ki"] = 1024m,
        ["Mi"] = 1024m * 1024,
        ["Gi"] = 1024m * 1024 * 1024,
        ["Ti"] = 1024m * 1024 * 1024 * 1024,
        ["Pi"] = 1024m * 1024 * 1024 * 1024 * 1024,
        ["Ei"] = 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
    };

    private static readonly Dictionary<string, decimal> BitMultipliers = new(StringComparer.Ordinal)
    {
        ["bps"] = 1m,
        ["Kbps"] = 1e3m,
        ["Mbps"] = 1e6m,
        ["Gbps"] = 1e9m,
        ["Tbps"] = 1e12m,
    };

    /// <summary>Kubernetes quantity ("32Gi", "500M", "1024") to bytes; a trailing "/s" is accepted for rates.</summary>
    public static long? Bytes(string text) => Scaled(ByteQuantity().Match(text), ByteMultipliers);

    /// <summary>"10Gbps" to bits per second (decimal units, as network speeds are quoted).</summary>
    public static long? BitsPerSecond(string text) => Scaled(Bandwidth().Match(text), BitMultipliers);

    private static long? Scaled(Match match, Dictionary<string, decimal> multipliers)
    {
        if (!match.Success || !decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }

        try
        {
            var value = number * multipliers[match.Groups[2].Value];
            return value > long.MaxValue ? null : (long)Math.Round(value);
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>"1h30m", "150s", "170ms", "2d" to a TimeSpan.</summary>
    public static TimeSpan? Duration(string text)
    {
        var matches = DurationPart().Matches(text);
        if (matches.Count == 0 || matches.Sum(m => m.Length) != text.Length)
        {
            return null;
        }

        decimal milliseconds = 0;
        foreach (Match part in matches)
        {
            // Beyond decimal's 28 digits, or once the sum passes TimeSpan's range, it is no duration.
            if (!decimal.TryParse(part.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) ||
                number > (decimal)TimeSpan.MaxValue.TotalDays)
            {
                return null;
            }

            milliseconds += number * part.Groups[2].Value switch
            {
                "ms" => 1m,
                "s" => 1_000m,
                "m" => 60_000m,
                "h" => 3_600_000m,
                _ => 86_400_000m,
            };
            if (milliseconds > (decimal)TimeSpan.MaxValue.TotalMilliseconds / 2)
            {
                return null;
            }
        }

        return TimeSpan.FromMilliseconds((double)milliseconds);
    }

    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString(value >= 100 || unit == 0 ? "0" : "0.#", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string FormatBits(long bitsPerSecond) =>
        bitsPerSecond >= 1_000_000_000
            ? (bitsPerSecond / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + " Gbit/s"
            : (bitsPerSecond / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + " Mbit/s";

    /// <summary>A duration in seconds as FormatDuration writes it; a century or more is said as such (no overflow).</summary>
    public static string FormatSeconds(double seconds) =>
        double.IsNaN(seconds) || seconds >= 100.0 * 365 * 24 * 3600 ? "a century or more" : FormatDuration(TimeSpan.FromSeconds(Math.Max(0, seconds)));

    public static string FormatDuration(TimeSpan duration) =>
        duration == TimeSpan.Zero ? "0s"
        : duration.TotalHours >= 1
            ? $"{(int)duration.TotalHours}h{duration.Minutes:00}m"
            : duration.TotalMinutes >= 1
                ? $"{(int)duration.TotalMinutes}m{duration.Seconds:00}s"
                : duration.TotalSeconds >= 1
                    ? duration.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + "s"
                    : duration.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + "ms";

    [GeneratedRegex("^([0-9]+(?:\\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?(?:/s)?$")]
    private static partial Regex ByteQuantity();

    [GeneratedRegex("^([0-9]+(?:\\.[0-9]+)?)(bps|Kbps|Mbps|Gbps|Tbps)$")]
    private static partial Regex Bandwidth();

    [GeneratedRegex("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h|d)")]
    private static partial Regex DurationPart();
}
