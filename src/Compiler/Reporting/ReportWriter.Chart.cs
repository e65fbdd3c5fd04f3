using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;

namespace Reconcile.Compiler.Reporting;

/// <summary>The report's timeline: a lane per cluster and per link, rows packed so bars never overlap, windows as bands.</summary>
public static partial class ReportWriter
{
    private static void Chart(List<Lane> lanes, MigrationPlan plan, TimeScale scale, StepColours colours, TextWriter html)
    {
        // Each lane's rows first: the SVG's height comes before its lanes.
        var packed = lanes.Select(lane => (Lane: lane, Rows: Pack(lane.Steps))).ToList();
        var height = AxisHeight + packed.Sum(p => LaneHeight(p.Rows) + SectionGap);
        var width = LabelWidth + ChartWidth + 10;
        html.Write("<h2>Timeline</h2>\n<div class=\"chart\">\n");
        html.Write($"<svg id=\"gantt\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n");
        html.Write("<defs><pattern id=\"hatch\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">");
        html.Write("<rect width=\"8\" height=\"8\" fill=\"rgba(200,40,40,0.08)\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"rgba(200,40,40,0.55)\" stroke-width=\"3\"/></pattern></defs>\n");
        html.Write(Axis(scale, height));
        var y = AxisHeight;
        foreach (var (lane, rows) in packed)
        {
            var laneHeight = LaneHeight(rows);
            html.Write($"<g class=\"lane\" data-lane=\"{E(lane.Title)}\">\n");
            // Long names are cut to the label column; the full name is the hover text.
            var shown = lane.Title.Length > 30 ? lane.Title[..29] + "…" : lane.Title;
            html.Write($"<text class=\"lane-title\" x=\"4\" y=\"{y + 13}\" data-tip=\"{E(lane.Title)}\"><title>{E(lane.Title)}</title>{E(shown)}</text>\n");
            if (lane.Subtitle is { } subtitle)
            {
                html.Write($"<text class=\"lane-subtitle\" x=\"4\" y=\"{y + 27}\">{E(subtitle)}</text>\n");
            }

            html.Write($"<rect class=\"lane-bg\" x=\"{LabelWidth}\" y=\"{y}\" width=\"{ChartWidth}\" height=\"{laneHeight}\"/>\n");

            // Allow windows for every cluster of the lane (a link needs both ends open), deny windows of any.
            foreach (var window in WindowCalendar.Expand(plan.Windows, lane.Clusters.ToList(), scale.Start, scale.End - scale.Start))
            {
                html.Write(Band("allow", window, y, laneHeight, scale));
            }

            foreach (var deny in WindowCalendar.DenyOccurrences(plan.Windows, lane.Clusters.ToList(), scale.Start, scale.End))
            {
                html.Write(Band("deny", deny, y, laneHeight, scale));
            }

            for (var row = 0; row < rows.Count; row++)
            {
                foreach (var step in rows[row])
                {
                    html.Write(Bar(step, y + RowGap + row * (RowHeight + RowGap), scale, colours));
                }
            }

            html.Write("</g>\n");
            y += laneHeight + SectionGap;
        }

        html.Write("</svg>\n</div>\n");
    }

    private static int LaneHeight(List<List<GraphStep>> rows) => Math.Max(2, rows.Count) * (RowHeight + RowGap) + RowGap;

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
}
