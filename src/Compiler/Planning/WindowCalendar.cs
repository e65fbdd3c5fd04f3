using Cronos;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Planning;

/// <summary>A half-open UTC interval [Start, End) of an allow window, with deny windows already cut out.</summary>
public sealed record WindowOccurrence(string Name, DateTime Start, DateTime End)
{
    public TimeSpan Length => End - Start;
}

/// <summary>
/// Expands the plan's allow windows (cron + duration in an IANA zone, DST-correct through Cronos)
/// into UTC occurrences over a bounded horizon and cuts the deny windows out of them.
/// </summary>
public static class WindowCalendar
{
    /// <summary>Parses a five-field cron expression; null when it is not valid.</summary>
    public static CronExpression? TryParse(string cron, out string? error)
    {
        try
        {
            error = null;
            return CronExpression.Parse(cron, CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            error = e.Message;
            return null;
        }
    }

    /// <summary>
    /// Allow-window occurrences that apply to every cluster in <paramref name="clusters"/>, within
    /// [from, from + horizon), minus the deny windows that apply to any of them. Windows with an
    /// unparseable cron or an unknown zone are skipped (they are reported elsewhere).
    /// </summary>
    public static IReadOnlyList<WindowOccurrence> Expand(Windows windows, IReadOnlyCollection<string> clusters, DateTime fromUtc, TimeSpan horizon)
    {
        var toUtc = fromUtc + horizon;
        var denied = DenyIntervals(windows, clusters, fromUtc, toUtc);
        var result = new List<WindowOccurrence>();
        foreach (var allow in windows.Allow.Where(a => clusters.All(a.AppliesTo)))
        {
            foreach (var (start, end) in Occurrences(allow.Cron, allow.Duration, allow.TimeZone, fromUtc, toUtc))
            {
                foreach (var (s, e) in Subtract((Max(start, fromUtc), end), denied))
                {
                    result.Add(new WindowOccurrence(allow.Name, s, e));
                }
            }
        }

        return result.OrderBy(o => o.Start).ThenBy(o => o.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether the cron fires at least once in the 28 years after <paramref name="fromUtc"/>: the Gregorian weekday/date cycle repeats within that span.</summary>
    public static bool FiresAtAll(CronExpression cron, DateTime fromUtc) =>
        cron.GetNextOccurrence(fromUtc, TimeZoneInfo.Utc, inclusive: true) is { } next && next < fromUtc.AddYears(28);

    private static IEnumerable<(DateTime Start, DateTime End)> Occurrences(string cron, TimeSpan duration, TimeZoneInfo? zone, DateTime fromUtc, DateTime toUtc)
    {
        if (zone is null || duration <= TimeSpan.Zero || TryParse(cron, out _) is not { } expression)
        {
            yield break;
        }

        // An occurrence that opened before fromUtc may still be open at fromUtc.
        foreach (var start in expression.GetOccurrences(fromUtc - duration, toUtc, zone, fromInclusive: true, toInclusive: false))
        {
            var end = start + duration;
            if (end > fromUtc)
            {
                yield return (start, end);
            }
        }
    }

    private static List<(DateTime Start, DateTime End)> DenyIntervals(Windows windows, IReadOnlyCollection<string> clusters, DateTime fromUtc, DateTime toUtc) =>
        [.. DenyOccurrences(windows, clusters, fromUtc, toUtc).Select(o => (o.Start, o.End))];

    /// <summary>Deny-window occurrences that apply to any of <paramref name="clusters"/> and overlap [from, to).</summary>
    public static IReadOnlyList<WindowOccurrence> DenyOccurrences(Windows windows, IReadOnlyCollection<string> clusters, DateTime fromUtc, DateTime toUtc)
    {
        var occurrences = new List<WindowOccurrence>();
        foreach (var deny in windows.Deny.Where(d => clusters.Any(d.AppliesTo)))
        {
            if (deny is { Start: { } start, End: { } end })
            {
                if (end > start && end.UtcDateTime > fromUtc && start.UtcDateTime < toUtc)
                {
                    occurrences.Add(new WindowOccurrence(deny.Name, start.UtcDateTime, end.UtcDateTime));
                }
            }
            else if (deny is { Cron: { } cron, Duration: { } duration })
            {
                occurrences.AddRange(Occurrences(cron, duration, deny.TimeZone, fromUtc, toUtc).Select(o => new WindowOccurrence(deny.Name, o.Start, o.End)));
            }
        }

        return [.. occurrences.OrderBy(o => o.Start).ThenBy(o => o.Name, StringComparer.Ordinal)];
    }

    private static IEnumerable<(DateTime Start, DateTime End)> Subtract((DateTime Start, DateTime End) window, List<(DateTime Start, DateTime End)> denied)
    {
        var pieces = new List<(DateTime Start, DateTime End)> { window };
        foreach (var (ds, de) in denied)
        {
            var next = new List<(DateTime, DateTime)>();
            foreach (var (s, e) in pieces)
            {
                if (de <= s || ds >= e)
                {
                    next.Add((s, e));
                    continue;
                }

                if (ds > s)
                {
                    next.Add((s, ds));
                }

                if (de < e)
                {
                    next.Add((de, e));
                }
            }

            pieces = next;
        }

        return pieces.Where(p => p.End > p.Start);
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;
}
