using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Planning;

/// <summary>
/// The allow-window occurrences that apply to one set of clusters (a hop's two ends), in seconds from
/// the schedule's start, sorted by start. With no allow windows at all, time is always open.
/// </summary>
internal sealed class WindowTable
{
    private readonly WindowOccurrence[] occurrences;
    private readonly long[] starts;
    private readonly long[] ends;

    public WindowTable(Windows windows, IReadOnlyCollection<string> clusters, DateTime anchor, TimeSpan horizon)
    {
        AlwaysOpen = windows.Allow.IsEmpty;
        occurrences = AlwaysOpen ? [] : [.. WindowCalendar.Expand(windows, clusters, anchor, horizon)];
        starts = [.. occurrences.Select(o => Seconds(o.Start, anchor))];
        ends = [.. occurrences.Select(o => Seconds(o.End, anchor))];
    }

    public bool AlwaysOpen { get; }

    /// <summary>The longest occurrence in seconds (unbounded when always open, 0 when there is none).</summary>
    public long Longest => AlwaysOpen ? long.MaxValue : starts.Length == 0 ? 0 : starts.Zip(ends, (s, e) => e - s).Max();

    public IReadOnlyList<WindowOccurrence> Occurrences => occurrences;

    /// <summary>
    /// Where a step of <paramref name="duration"/> seconds can run at or after <paramref name="now"/>:
    /// the occurrence to use and the earliest start in it; null when no occurrence in the horizon is long enough.
    /// </summary>
    public (long Start, int Occurrence)? Fit(long now, long duration)
    {
        if (AlwaysOpen)
        {
            return (now, -1);
        }

        // Occurrences open at `now` first (the one closing last wins), then later ones in order.
        var best = -1;
        for (var i = 0; i < starts.Length && starts[i] <= now; i++)
        {
            if (ends[i] - now >= duration && (best < 0 || ends[i] > ends[best]))
            {
                best = i;
            }
        }

        if (best >= 0)
        {
            return (now, best);
        }

        for (var i = FirstStartAfter(now); i < starts.Length; i++)
        {
            if (ends[i] - starts[i] >= duration)
            {
                return (starts[i], i);
            }
        }

        return null;
    }

    private int FirstStartAfter(long now)
    {
        int low = 0, high = starts.Length;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (starts[middle] <= now)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>Open seconds in [0, t): how much windowed work could have run by then.</summary>
    public long OpenSecondsBefore(long t)
    {
        if (AlwaysOpen)
        {
            return t;
        }

        long open = 0, covered = 0;
        for (var i = 0; i < starts.Length && starts[i] < t; i++)
        {
            var s = Math.Max(starts[i], covered);
            var e = Math.Min(ends[i], t);
            if (e > s)
            {
                open += e - s;
                covered = e;
            }
        }

        return open;
    }

    /// <summary>The earliest time by which <paramref name="work"/> seconds of open time have passed (the horizon's end plus the rest if never).</summary>
    public long TimeToAccumulate(long work)
    {
        if (AlwaysOpen || work <= 0)
        {
            return Math.Max(0, work);
        }

        long open = 0, covered = 0;
        for (var i = 0; i < starts.Length; i++)
        {
            var s = Math.Max(starts[i], covered);
            var e = ends[i];
            if (e <= s)
            {
                continue;
            }

            if (open + (e - s) >= work)
            {
                return s + (work - open);
            }

            open += e - s;
            covered = e;
        }

        return ends.Length > 0 ? ends[^1] + (work - open) : work;
    }

    internal static long Seconds(DateTime time, DateTime anchor) => (long)Math.Ceiling((time - anchor).TotalSeconds);
}
