using System.Globalization;
using System.Text;
using Reconcile.Compiler.Planning;

namespace Reconcile.Compiler.Reporting;

/// <summary>
/// The report's clock: times shown in the plan's window time zone (UTC where it names none), with the
/// zone's offset said once at the top. The page's script formats live times in the same zone.
/// </summary>
internal sealed class ReportClock(TimeZoneInfo? zone)
{
    public TimeZoneInfo Zone { get; } = zone ?? TimeZoneInfo.Utc;

    /// <summary>The IANA name the page's script hands to Intl.DateTimeFormat.</summary>
    public string ZoneId => Zone == TimeZoneInfo.Utc ? "UTC" : Zone.Id;

    public DateTime Local(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone);

    public string Format(DateTime utc) => Local(utc).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>"Europe/Berlin (UTC+01:00 at the start)".</summary>
    public string Describe(DateTime at)
    {
        var offset = Zone.GetUtcOffset(at);
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        return ZoneId == "UTC" ? "UTC" : $"{ZoneId} (UTC{sign}{offset.Duration():hh\\:mm} at the start)";
    }

    /// <summary>The UTC instant of a local wall-clock time; a time skipped by a DST change moves to the hour after.</summary>
    public DateTime Utc(DateTime local)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (Zone.IsInvalidTime(unspecified))
        {
            unspecified = unspecified.AddMinutes(30);
        }

        return TimeZoneInfo.ConvertTimeToUtc(unspecified, Zone);
    }
}

/// <summary>
/// Maps UTC times onto the chart's x axis. Long stretches with no step running (a campaign waiting
/// days for its next window) are cut to a narrow break, so the work stays readable; ticks are placed
/// inside the shown stretches only, on round times of the plan's zone. The page's script zooms by
/// scaling these x positions and places live times with the same segments.
/// </summary>
internal sealed class TimeScale
{
    public const double LabelWidth = 200;
    private const double BreakWidth = 28;

    private static readonly TimeSpan[] Steps =
    [
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1),
        TimeSpan.FromHours(3), TimeSpan.FromHours(6), TimeSpan.FromHours(12), TimeSpan.FromDays(1), TimeSpan.FromDays(2), TimeSpan.FromDays(7),
        TimeSpan.FromDays(14), TimeSpan.FromDays(28),
    ];

    private readonly List<(DateTime From, DateTime To, double X)> segments = [];
    private readonly double pixelsPerSecond;
    private readonly double width;

    public TimeScale(DateTime start, DateTime end, double width, IReadOnlyList<(DateTime Start, DateTime End)> busy)
    {
        Start = start;
        End = end;
        this.width = width;
        var total = (end - start).TotalSeconds;
        var minimumGap = Math.Max(1800, total * 0.08);
        var shown = new List<(DateTime From, DateTime To)>();
        // The start and the end are shown however idle, so a long wait before the first step is a break too.
        foreach (var (from, to) in busy.Append((Start: start, End: start)).Append((Start: end, End: end)).OrderBy(b => b.Start))
        {
            if (shown.Count > 0 && (from - shown[^1].To).TotalSeconds < minimumGap)
            {
                shown[^1] = (shown[^1].From, to > shown[^1].To ? to : shown[^1].To);
            }
            else
            {
                shown.Add((from, to));
            }
        }

        var breaks = shown.Count - 1;
        var seconds = shown.Sum(s => (s.To - s.From).TotalSeconds);
        pixelsPerSecond = (width - breaks * BreakWidth) / Math.Max(1, seconds);
        var x = LabelWidth;
        foreach (var (from, to) in shown)
        {
            segments.Add((from, to, x));
            x += (to - from).TotalSeconds * pixelsPerSecond + BreakWidth;
        }
    }

    public DateTime Start { get; }

    public DateTime End { get; }

    private TimeSpan Step => Steps.FirstOrDefault(s => s.TotalSeconds * pixelsPerSecond >= 80, Steps[^1]);

    public string LabelFormat => Step >= TimeSpan.FromDays(1) ? "MM-dd" : "MM-dd HH:mm";

    /// <summary>The x of each break between shown stretches, with the time it hides.</summary>
    public IEnumerable<(double X, TimeSpan Hidden)> Breaks => segments.Zip(segments.Skip(1),
        (a, b) => (a.X + (a.To - a.From).TotalSeconds * pixelsPerSecond, b.From - a.To));

    /// <summary>The segments for the page's script: [from, to] in Unix seconds and x, and pixels per second.</summary>
    public string SegmentsJson()
    {
        var json = new StringBuilder("{\"pps\":").Append(pixelsPerSecond.ToString("R", CultureInfo.InvariantCulture)).Append(",\"segments\":[");
        json.AppendJoin(',', segments.Select(s => string.Create(CultureInfo.InvariantCulture,
            $"[{new DateTimeOffset(s.From, TimeSpan.Zero).ToUnixTimeSeconds()},{new DateTimeOffset(s.To, TimeSpan.Zero).ToUnixTimeSeconds()},{s.X:0.##}]")));
        return json.Append("]}").ToString();
    }

    public double X(DateTime time)
    {
        var segment = segments.LastOrDefault(s => s.From <= time, segments[0]);
        var offset = Math.Clamp((time - segment.From).TotalSeconds, 0, (segment.To - segment.From).TotalSeconds + (segment == segments[^1] ? 0 : BreakWidth / pixelsPerSecond));
        return Math.Min(LabelWidth + width, segment.X + offset * pixelsPerSecond);
    }

    public (double X, double Width) Span(DateTime from, DateTime to)
    {
        var x = X(from);
        return (x, Math.Max(0, X(to) - x));
    }

    /// <summary>Round times of the plan's zone (midnights, whole hours) inside the shown stretches, as UTC.</summary>
    public IEnumerable<DateTime> Ticks(ReportClock clock)
    {
        var step = Step;
        foreach (var (from, to, _) in segments)
        {
            var local = clock.Local(from);
            var aligned = new DateTime(local.Ticks - local.Ticks % step.Ticks + (local.Ticks % step.Ticks == 0 ? 0 : step.Ticks), DateTimeKind.Unspecified);
            for (var tick = aligned; clock.Utc(tick) <= to; tick += step)
            {
                yield return clock.Utc(tick);
            }
        }
    }
}

/// <summary>Hue per move, lightness per priority class (the highest value darkest).</summary>
internal sealed class StepColours
{
    private readonly Dictionary<string, int> hues = new(StringComparer.Ordinal);
    private readonly Dictionary<int, int> lightness = [];

    public StepColours(Model.MigrationPlan plan, IReadOnlyList<GraphStep> steps)
    {
        var moves = plan.Moves.Select(m => m.Name).Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < moves.Count; i++)
        {
            // Golden-angle hues stay distinct for any number of moves.
            hues[moves[i]] = (int)(i * 137.508 % 360);
        }

        var priorities = steps.Select(s => s.Priority).Distinct().OrderDescending().ToList();
        for (var i = 0; i < priorities.Count; i++)
        {
            lightness[priorities[i]] = priorities.Count == 1 ? 45 : 32 + 36 * i / (priorities.Count - 1);
        }
    }

    public IEnumerable<(string Move, string Colour)> Moves => hues.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => (h.Key, $"hsl({h.Value},65%,45%)"));

    public string Of(GraphStep step) => $"hsl({hues.GetValueOrDefault(step.Move ?? "", 0)},65%,{lightness.GetValueOrDefault(step.Priority, 45)}%)";
}
