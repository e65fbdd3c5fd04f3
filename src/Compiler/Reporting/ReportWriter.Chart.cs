using System.Globalization;
using System.Text;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;

namespace Reconcile.Compiler.Reporting;

/// <summary>
/// The report's timelines: lanes of rows (a row per VM, or rows packed so bars never overlap), windows
/// as bands, an axis in the plan's zone. Bars keep their base x and width in the SVG; the page's
/// script zooms by scaling them (TimeScale's segments go with the SVG for live times).
/// </summary>
public static partial class ReportWriter
{
    private const int RowHeight = 16;
    private const int RowGap = 3;
    private const int SectionGap = 14;
    private const int AxisHeight = 28;
    private const int LaneHeader = 20;

    /// <summary>The id of the timeline by hop, whose bars carry the hover text.</summary>
    private const string HopChart = "gantt";

    private static void Chart(string id, List<Lane> lanes, bool perVm, MigrationPlan plan, TimeScale scale, ReportClock clock, StepColours colours, TextWriter html)
    {
        // Each lane's rows first: the SVG's height comes before its lanes.
        var laid = lanes.Select(lane => (Lane: lane, Rows: perVm ? ByVm(lane.Steps) : Pack(lane.Steps))).ToList();
        var height = AxisHeight + laid.Sum(p => LaneHeight(p.Rows, perVm) + SectionGap);
        var width = TimeScale.LabelWidth + ChartWidth + 10;
        html.Write("<div class=\"chart\">\n");
        html.Write($"<svg id=\"{id}\" class=\"gantt\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(width)}\" height=\"{height}\" viewBox=\"0 0 {F(width)} {height}\" data-scale=\"{E(scale.SegmentsJson())}\">\n");
        html.Write("<defs><pattern id=\"hatch-" + id + "\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">");
        html.Write("<rect width=\"8\" height=\"8\" fill=\"rgba(200,40,40,0.08)\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"rgba(200,40,40,0.55)\" stroke-width=\"3\"/></pattern></defs>\n");
        html.Write(Axis(scale, clock, height));
        var y = AxisHeight;
        foreach (var (lane, rows) in laid)
        {
            var laneHeight = LaneHeight(rows, perVm);
            html.Write($"<g class=\"lane\" data-lane=\"{E(lane.Title)}\">\n");
            // Long names are cut to the label column; the full name is the hover text.
            html.Write($"<text class=\"lane-title\" x=\"4\" y=\"{y + 13}\" data-tip=\"{E(lane.Title)}\"><title>{E(lane.Title)}</title>{E(Cut(lane.Title, 30))}</text>\n");
            if (lane.Subtitle is { } subtitle)
            {
                html.Write(perVm
                    ? $"<text class=\"lane-subtitle\" x=\"{F(TimeScale.LabelWidth + 4)}\" y=\"{y + 13}\">{E(subtitle)}</text>\n"
                    : $"<text class=\"lane-subtitle\" x=\"4\" y=\"{y + 27}\">{E(subtitle)}</text>\n");
            }

            var top = y + (perVm ? LaneHeader : 0);
            html.Write($"<rect class=\"lane-bg\" x=\"{F(TimeScale.LabelWidth)}\" y=\"{top}\" width=\"{ChartWidth}\" height=\"{y + laneHeight - top}\"/>\n");

            // Allow windows for every cluster of the lane (a link needs both ends open), deny windows of any.
            foreach (var window in WindowCalendar.Expand(plan.Windows, lane.Clusters.ToList(), scale.Start, scale.End - scale.Start))
            {
                html.Write(Band("allow", id, window, top, y + laneHeight - top, scale, clock));
            }

            foreach (var deny in WindowCalendar.DenyOccurrences(plan.Windows, lane.Clusters.ToList(), scale.Start, scale.End))
            {
                html.Write(Band("deny", id, deny, top, y + laneHeight - top, scale, clock));
            }

            for (var row = 0; row < rows.Count; row++)
            {
                var rowY = top + RowGap + row * (RowHeight + RowGap);
                if (perVm && rows[row].FirstOrDefault()?.Vm is { } vm)
                {
                    html.Write($"<text class=\"vm\" x=\"14\" y=\"{rowY + 12}\" data-tip=\"{E(vm)}\">{E(Cut(vm, 28))}</text>\n");
                }

                foreach (var step in rows[row])
                {
                    html.Write(Bar(step, rowY, scale, clock, colours, labelled: perVm, tipped: id == HopChart));
                }
            }

            html.Write("</g>\n");
            y += laneHeight + SectionGap;
        }

        html.Write("</svg>\n</div>\n");
    }

    private static string Cut(string text, int length) => text.Length > length ? text[..(length - 1)] + "…" : text;

    /// <summary>A row per VM under a header line with the hop's name; packed rows beside the lane's name (two rows at least, for its subtitle).</summary>
    private static int LaneHeight(List<List<GraphStep>> rows, bool perVm) =>
        perVm ? LaneHeader + rows.Count * (RowHeight + RowGap) + RowGap : Math.Max(2, rows.Count) * (RowHeight + RowGap) + RowGap;

    /// <summary>A row per VM, in the order the VMs start.</summary>
    private static List<List<GraphStep>> ByVm(IReadOnlyList<GraphStep> steps) =>
    [
        .. steps.GroupBy(s => s.Vm ?? "").OrderBy(g => g.Min(s => s.PlannedStart)).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.OrderBy(s => s.PlannedStart).ThenBy(s => s.Id, StringComparer.Ordinal).ToList()),
    ];

    /// <summary>Interval partitioning: each step goes on the first row free at its start, so rows never overlap.</summary>
    private static List<List<GraphStep>> Pack(IReadOnlyList<GraphStep> steps)
    {
        var rows = new List<List<GraphStep>>();
        foreach (var step in steps.OrderBy(s => s.PlannedStart).ThenBy(s => s.Id, StringComparer.Ordinal))
        {
            var row = rows.FirstOrDefault(r => r[^1].PlannedEnd <= step.PlannedStart);
            if (row is null)
            {
                rows.Add([step]);
            }
            else
            {
                row.Add(step);
            }
        }

        return rows;
    }

    private static string Band(string kind, string chart, WindowOccurrence window, int y, int height, TimeScale scale, ReportClock clock)
    {
        var (x, w) = scale.Span(window.Start, window.End);
        var title = $"{(kind == "deny" ? "deny" : "allow")} window {window.Name}: {clock.Format(window.Start)} .. {clock.Format(window.End)}";
        var fill = kind == "deny" ? $" fill=\"url(#hatch-{chart})\"" : "";
        return $"<rect class=\"{kind}\"{fill} x=\"{F(x)}\" y=\"{y}\" width=\"{F(w)}\" height=\"{height}\" data-tip=\"{E(title)}\"><title>{E(title)}</title></rect>\n";
    }

    /// <param name="tipped">The hover text goes on the hop chart's bar only; the load chart's bars of the same step find it there by data-step (it was most of the page's bytes).</param>
    private static string Bar(GraphStep step, int y, TimeScale scale, ReportClock clock, StepColours colours, bool labelled, bool tipped)
    {
        var width = Math.Max(scale.Span(step.PlannedStart, step.PlannedEnd).Width, 1.5);
        var bar = $"<rect class=\"step {Kind(step.Kind)}\" x=\"{F(scale.X(step.PlannedStart))}\" y=\"{y}\" width=\"{F(width)}\" height=\"{RowHeight}\" rx=\"2\" fill=\"{colours.Of(step)}\" " +
                  $"data-step=\"{E(step.Id)}\" data-stage=\"{E(step.Stage)}\"{(tipped ? $" data-tip=\"{E(Tip(step, clock))}\"" : "")}/>\n";
        if (!labelled)
        {
            return bar;
        }

        // The label is drawn where it fits (about 6 px a character at 10 px); the script re-decides on every zoom.
        var label = $"{Kind(step.Kind)} {Duration(step.Predicted.Seconds)}";
        var fits = label.Length * 6 + 6 <= width;
        return bar + $"<text class=\"bar-label{(fits ? "" : " hidden")}\" x=\"{F(scale.X(step.PlannedStart) + 3)}\" y=\"{y + 12}\">{E(label)}</text>\n";
    }

    private static string Tip(GraphStep step, ReportClock clock)
    {
        var p = step.Predicted;
        var tip = new StringBuilder()
            .Append($"{Kind(step.Kind)} {step.Vm}\n")
            .Append($"move {step.Move}, stage {step.Stage}, priority {step.Priority}\n")
            .Append($"{step.From!.Cluster}{(step.From.Node is { } n ? "/" + n : "")} -> {step.To!.Cluster}{(step.To.Node is { } m ? "/" + m : "")}{(step.Link is { } l ? $" over {l}" : "")}\n")
            .Append($"{clock.Format(step.PlannedStart)} .. {clock.Format(step.PlannedEnd)} ({Duration(p.Seconds)})\n")
            .Append($"{Quantities.FormatBytes(p.Bytes)}");
        if (step.Kind == StepKind.Migrate)
        {
            tip.Append($", {p.Rounds} pre-copy rounds, downtime {p.DowntimeMs} ms{(p.Converges ? "" : ", does not converge")}");
        }

        return tip.ToString();
    }

    private static string Axis(TimeScale scale, ReportClock clock, int height)
    {
        var axis = new StringBuilder("<g class=\"axis\">\n");
        var lastLabel = double.NegativeInfinity;
        foreach (var tick in scale.Ticks(clock))
        {
            var x = scale.X(tick);
            axis.Append($"<line x1=\"{F(x)}\" y1=\"{AxisHeight - 6}\" x2=\"{F(x)}\" y2=\"{height}\"/>");
            // Labels need about 75 px; a tick too close to the previous one, or to the right edge, stays unlabelled.
            var label = clock.Local(tick).ToString(scale.LabelFormat, CultureInfo.InvariantCulture);
            var shown = x - lastLabel >= 75 && x <= TimeScale.LabelWidth + ChartWidth - 70;
            axis.Append($"<text class=\"tick{(shown ? "" : " hidden")}\" x=\"{F(x + 2)}\" y=\"{AxisHeight - 10}\">{label}</text>");
            lastLabel = shown ? x : lastLabel;
            axis.Append('\n');
        }

        foreach (var (x, hidden) in scale.Breaks)
        {
            var label = $"{Quantities.FormatDuration(hidden)} without steps";
            axis.Append($"<rect class=\"break\" x=\"{F(x + 4)}\" y=\"{AxisHeight - 6}\" width=\"20\" height=\"{height - AxisHeight + 6}\" data-tip=\"{E(label)}\"><title>{E(label)}</title></rect>\n");
        }

        return axis.Append("</g>\n").ToString();
    }
}
