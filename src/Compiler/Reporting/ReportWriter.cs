using System.Globalization;
using System.Net;
using System.Text;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;

namespace Reconcile.Compiler.Reporting;

/// <summary>
/// report.html: one self-contained page (inline CSS, SVG and script; no network) with a Gantt chart
/// per cluster and per link, allow windows shaded and deny windows hatched, steps coloured by move
/// (hue) and priority (darker is higher), hover details, the stage table and the diagnostics.
/// Deterministic: the same graph gives the same bytes.
/// </summary>
public static partial class ReportWriter
{
    private const int LabelWidth = 200;
    private const int ChartWidth = 1000;
    private const int RowHeight = 16;
    private const int RowGap = 3;
    private const int SectionGap = 14;
    private const int AxisHeight = 28;

    private sealed record Lane(string Title, string? Subtitle, IReadOnlyList<string> Clusters, IReadOnlyList<GraphStep> Steps);

    public static string Html(ExecutionGraph graph, MigrationPlan plan)
    {
        var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture) { NewLine = "\n" };
        Html(graph, plan, text);
        return text.ToString();
    }

    /// <summary>The page into <paramref name="html"/>, part by part: at 100,000 VMs it is 100 MB, never built as one string.</summary>
    public static void Html(ExecutionGraph graph, MigrationPlan plan, TextWriter html)
    {
        // Snapshot and verify steps happen on one cluster: they have no separate target.
        var steps = graph.Steps.Where(s => s.Kind != StepKind.Gate && s.From is not null).Select(s => s.To is null ? s with { To = s.From } : s).ToList();
        var start = graph.Start;
        var end = steps.Count == 0 ? start.AddHours(1) : steps.Max(s => s.PlannedEnd);
        if (end <= start)
        {
            end = start.AddHours(1);
        }

        var scale = new TimeScale(start, end + TimeSpan.FromTicks((end - start).Ticks / 50), ChartWidth, [.. steps.Select(s => (s.PlannedStart, s.PlannedEnd))]);
        var colours = new StepColours(plan, steps);
        html.Write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Write($"<title>Reconcile: {E(graph.Plan)}</title>\n<style>\n{Css}</style>\n");
        // Any script error marks the page, so a headless browser test sees it in the DOM.
        html.Write("<script>window.addEventListener('error', function (e) { document.documentElement.setAttribute('data-error', String(e.message)); });</script>\n");
        html.Write("</head>\n<body>\n");
        html.Write($"<h1>Campaign <code>{E(graph.Plan)}</code></h1>\n");
        html.Write("<p class=\"facts\">");
        html.Write($"Start {Time(graph.Start)} · end {Time(end)} · makespan {Duration(graph.MakespanSeconds)} · lower bound {Duration(graph.LowerBoundSeconds)}");
        html.Write($" · {steps.Count(s => s.Kind == StepKind.Migrate)} migrations of {steps.Select(s => s.Vm).Distinct().Count()} VMs in {graph.Stages.Count} stages");
        html.Write($" · {Quantities.FormatBytes(steps.Where(s => s.Kind is StepKind.Migrate or StepKind.ReplicateStorage).Sum(s => s.Predicted.Bytes))} over the wire");
        html.Write(plan.Suspend ? " · <strong>suspended</strong>" : "");
        html.Write("</p>\n");

        var lanes = Lanes(graph, steps);
        html.Write(Legend(colours));
        Chart(lanes, plan, scale, colours, html);
        html.Write(StageTable(graph));
        html.Write(DiagnosticTable(graph.Diagnostics));
        html.Write("<div id=\"tip\" role=\"tooltip\"></div>\n");
        html.Write($"<script>\n{Script}</script>\n</body>\n</html>\n");
    }

    private static List<Lane> Lanes(ExecutionGraph graph, List<GraphStep> steps)
    {
        var lanes = new List<Lane>();
        foreach (var cluster in steps.SelectMany(s => new[] { s.From!.Cluster, s.To!.Cluster }).Distinct().Order(StringComparer.Ordinal))
        {
            lanes.Add(new Lane($"cluster {cluster}", null, [cluster], [.. steps.Where(s => s.From!.Cluster == cluster || s.To!.Cluster == cluster)]));
        }

        foreach (var link in steps.Select(s => s.Link).OfType<string>().Distinct().Order(StringComparer.Ordinal))
        {
            var onLink = steps.Where(s => s.Link == link).ToList();
            var ends = onLink.SelectMany(s => new[] { s.From!.Cluster, s.To!.Cluster }).Distinct().Order(StringComparer.Ordinal).ToList();
            var bandwidth = graph.Limits.LinkBandwidthBps.TryGetValue(link, out var bps) ? Quantities.FormatBits(bps * 8) : null;
            lanes.Add(new Lane($"link {link}", bandwidth, ends, onLink));
        }

        return lanes;
    }

    private static string Band(string kind, WindowOccurrence window, int y, int height, TimeScale scale)
    {
        var (x, w) = scale.Span(window.Start, window.End);
        var title = $"{(kind == "deny" ? "deny" : "allow")} window {window.Name}: {Time(window.Start)} .. {Time(window.End)}";
        return $"<rect class=\"{kind}\" x=\"{F(x)}\" y=\"{y}\" width=\"{F(w)}\" height=\"{height}\" data-tip=\"{E(title)}\"><title>{E(title)}</title></rect>\n";
    }

    private static string Bar(GraphStep step, int y, TimeScale scale, StepColours colours)
    {
        var (x, w) = scale.Span(step.PlannedStart, step.PlannedEnd);
        var p = step.Predicted;
        var tip = new StringBuilder()
            .Append($"{Kind(step.Kind)} {step.Vm}\n")
            .Append($"move {step.Move}, stage {step.Stage}, priority {step.Priority}\n")
            .Append($"{step.From!.Cluster}{(step.From.Node is { } n ? "/" + n : "")} -> {step.To!.Cluster}{(step.To.Node is { } m ? "/" + m : "")}{(step.Link is { } l ? $" over {l}" : "")}\n")
            .Append($"{Time(step.PlannedStart)} .. {Time(step.PlannedEnd)} ({Duration(p.Seconds)})\n")
            .Append($"{Quantities.FormatBytes(p.Bytes)}");
        if (step.Kind == StepKind.Migrate)
        {
            tip.Append($", {p.Rounds} pre-copy rounds, downtime {p.DowntimeMs} ms{(p.Converges ? "" : ", does not converge")}");
        }

        var text = tip.ToString();
        // The hover text lives once, in data-tip (the page's script shows it): large campaigns have tens of thousands of bars.
        return $"<rect class=\"step {Kind(step.Kind)}\" x=\"{F(x)}\" y=\"{y}\" width=\"{F(Math.Max(w, 1.5))}\" height=\"{RowHeight}\" rx=\"2\" fill=\"{colours.Of(step)}\" " +
               $"data-step=\"{E(step.Id)}\" data-tip=\"{E(text)}\"/>\n";
    }

    private static string Axis(TimeScale scale, int height)
    {
        var axis = new StringBuilder("<g class=\"axis\">\n");
        var lastLabel = double.NegativeInfinity;
        foreach (var tick in scale.Ticks())
        {
            var x = scale.X(tick);
            axis.Append($"<line x1=\"{F(x)}\" y1=\"{AxisHeight - 6}\" x2=\"{F(x)}\" y2=\"{height}\"/>");
            // Labels need about 75 px; a tick too close to the previous one, or to the right edge, stays unlabelled.
            if (x - lastLabel >= 75 && x <= LabelWidth + ChartWidth - 70)
            {
                axis.Append($"<text x=\"{F(x + 2)}\" y=\"{AxisHeight - 10}\">{tick.ToString(scale.LabelFormat, CultureInfo.InvariantCulture)}</text>");
                lastLabel = x;
            }

            axis.Append('\n');
        }

        foreach (var (x, hidden) in scale.Breaks)
        {
            var label = $"{Quantities.FormatDuration(hidden)} without steps";
            axis.Append($"<rect class=\"break\" x=\"{F(x + 4)}\" y=\"{AxisHeight - 6}\" width=\"20\" height=\"{height - AxisHeight + 6}\" data-tip=\"{E(label)}\"><title>{E(label)}</title></rect>\n");
        }

        return axis.Append("</g>\n").ToString();
    }

    private static string Legend(StepColours colours)
    {
        var legend = new StringBuilder("<div class=\"legend\">");
        foreach (var (move, colour) in colours.Moves)
        {
            legend.Append($"<span><i style=\"background:{colour}\"></i>move {E(move)}</span>");
        }

        legend.Append("<span><i class=\"allow\"></i>allow window</span><span><i class=\"deny\"></i>deny window</span>");
        legend.Append("<span>darker: higher priority · outlined: snapshot, dashed: storage replication, dotted: verify</span>");
        return legend.Append("</div>\n").ToString();
    }

    private static string StageTable(ExecutionGraph graph)
    {
        var steps = graph.Steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var table = new StringBuilder("<h2>Stages</h2>\n<table class=\"stages\">\n<thead><tr><th>stage</th><th>name</th><th>window</th><th>migrations</th><th>start</th><th>end</th><th>after</th></tr></thead>\n<tbody>\n");
        foreach (var stage in graph.Stages)
        {
            var own = stage.Steps.Select(id => steps[id]).ToList();
            var first = own.Count == 0 ? "" : Time(own.Min(s => s.PlannedStart));
            var last = own.Count == 0 ? "" : Time(own.Max(s => s.PlannedEnd));
            table.Append($"<tr><td>{E(stage.Id)}</td><td>{E(stage.Name)}</td><td>{E(stage.Window ?? "")}</td><td>{own.Count(s => s.Kind == StepKind.Migrate)}</td>");
            table.Append($"<td>{first}</td><td>{last}</td><td>{E(string.Join(", ", stage.DependsOn))}</td></tr>\n");
        }

        return table.Append("</tbody>\n</table>\n").ToString();
    }

    private static string DiagnosticTable(IReadOnlyList<Diagnostic> diagnostics)
    {
        if (diagnostics.Count == 0)
        {
            return "<h2>Diagnostics</h2>\n<p>None.</p>\n";
        }

        var table = new StringBuilder("<h2>Diagnostics</h2>\n<table class=\"diagnostics\">\n<thead><tr><th>severity</th><th>code</th><th>where</th><th>message</th><th>hint</th></tr></thead>\n<tbody>\n");
        foreach (var d in diagnostics)
        {
            table.Append($"<tr class=\"{d.Severity.ToString().ToLowerInvariant()}\"><td>{d.Severity.ToString().ToLowerInvariant()}</td><td>{E(d.Code)}</td><td>{E(d.Location.ToString())}</td><td>{E(d.Message)}</td><td>{E(d.Hint)}</td></tr>\n");
        }

        return table.Append("</tbody>\n</table>\n").ToString();
    }

    private static string Kind(StepKind kind) => GraphWriter.KindName(kind);

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Time(DateTime time) => GraphWriter.Time(time);

    private static string Duration(long seconds) => Quantities.FormatSeconds(seconds);

    /// <summary>
    /// Maps UTC times onto the chart's x axis. Long stretches with no step running (a campaign waiting
    /// days for its next window) are cut to a narrow break, so the work stays readable; ticks are
    /// placed inside the shown stretches only.
    /// </summary>
    private sealed class TimeScale
    {
        private const double BreakWidth = 28;

        private static readonly TimeSpan[] Steps =
        [
            TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1),
            TimeSpan.FromHours(3), TimeSpan.FromHours(6), TimeSpan.FromHours(12), TimeSpan.FromDays(1), TimeSpan.FromDays(2), TimeSpan.FromDays(7),
            TimeSpan.FromDays(14), TimeSpan.FromDays(28),
        ];

        private readonly List<(DateTime From, DateTime To, double X)> segments = [];
        private readonly double pixelsPerSecond;

        public TimeScale(DateTime start, DateTime end, double width, IReadOnlyList<(DateTime Start, DateTime End)> busy)
        {
            Start = start;
            End = end;
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
            var x = (double)LabelWidth;
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

        public double X(DateTime time)
        {
            var segment = segments.LastOrDefault(s => s.From <= time, segments[0]);
            var offset = Math.Clamp((time - segment.From).TotalSeconds, 0, (segment.To - segment.From).TotalSeconds + (segment == segments[^1] ? 0 : BreakWidth / pixelsPerSecond));
            return Math.Min(LabelWidth + ChartWidth, segment.X + offset * pixelsPerSecond);
        }

        public (double X, double Width) Span(DateTime from, DateTime to)
        {
            var x = X(from);
            return (x, Math.Max(0, X(to) - x));
        }

        public IEnumerable<DateTime> Ticks()
        {
            var step = Step;
            foreach (var (from, to, _) in segments)
            {
                var tick = new DateTime(from.Ticks - from.Ticks % step.Ticks + (from.Ticks % step.Ticks == 0 ? 0 : step.Ticks), DateTimeKind.Utc);
                for (; tick <= to; tick += step)
                {
                    yield return tick;
                }
            }
        }
    }

    /// <summary>Hue per move, lightness per priority class (the highest value darkest).</summary>
    private sealed class StepColours
    {
        private readonly Dictionary<string, int> hues = new(StringComparer.Ordinal);
        private readonly Dictionary<int, int> lightness = [];

        public StepColours(MigrationPlan plan, IReadOnlyList<GraphStep> steps)
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

    private const string Css = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2430; }
        h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
        .facts { color: #4a5566; margin: 0 0 12px; }
        .legend span { display: inline-block; margin: 0 14px 6px 0; } .legend i { display: inline-block; width: 14px; height: 10px; margin-right: 5px; vertical-align: middle; border: 1px solid #0003; }
        .legend i.allow { background: rgba(60,170,90,0.18); } .legend i.deny { background: repeating-linear-gradient(45deg, rgba(200,40,40,0.55) 0 2px, rgba(200,40,40,0.08) 2px 6px); }
        .chart { overflow-x: auto; border: 1px solid #d7dce3; border-radius: 4px; background: #fff; }
        svg text { font-size: 11px; fill: #333; } .lane-title { font-weight: 600; } .lane-subtitle { fill: #5b6675; }
        .lane-bg { fill: #f6f8fa; } .allow { fill: rgba(60,170,90,0.18); } .deny { fill: url(#hatch); }
        .axis line { stroke: #d7dce3; } .axis text { fill: #5b6675; } .break { fill: #fff; stroke: #aab3bf; stroke-dasharray: 2 3; }
        .step { stroke: #0006; stroke-width: 0.5; } .step:hover { stroke: #000; stroke-width: 1.5; }
        .step.snapshot { stroke: #000; stroke-width: 1; fill-opacity: 0.35; } .step.replicate-storage { stroke-dasharray: 3 2; fill-opacity: 0.6; } .step.verify { fill-opacity: 0.45; stroke-dasharray: 1 1; }
        table { border-collapse: collapse; } th, td { border: 1px solid #d7dce3; padding: 3px 8px; text-align: left; font-size: 13px; }
        th { background: #f0f3f6; } tr.error td { background: #fdecec; } tr.warning td { background: #fff7e0; }
        #tip { position: fixed; display: none; pointer-events: none; white-space: pre; background: #1d2430; color: #fff; font-size: 12px; padding: 6px 8px; border-radius: 4px; max-width: 520px; }

        """;

    // Hover details, and a marker that the page rendered (tests read it with headless Chromium).
    private const string Script = """
        (function () {
          var tip = document.getElementById('tip');
          document.getElementById('gantt').addEventListener('mousemove', function (event) {
            var target = event.target.closest('[data-tip]');
            if (!target) { tip.style.display = 'none'; return; }
            tip.textContent = target.getAttribute('data-tip');
            tip.style.left = (event.clientX + 14) + 'px';
            tip.style.top = (event.clientY + 14) + 'px';
            tip.style.display = 'block';
          });
          document.getElementById('gantt').addEventListener('mouseleave', function () { tip.style.display = 'none'; });
          document.body.setAttribute('data-rendered', document.querySelectorAll('#gantt .step').length + ' steps');
        })();

        """;
}
