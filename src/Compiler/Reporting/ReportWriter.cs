using System.Globalization;
using System.Net;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;

namespace Reconcile.Compiler.Reporting;

/// <summary>
/// report.html: one self-contained page (inline CSS, SVG and script; no network). A timeline with a
/// lane per hop and a row per VM, labels on the bars; a second timeline of the load on each cluster
/// and link; allow windows shaded and deny windows hatched; steps coloured by move (hue) and priority
/// (darker is higher); zoom to fit or to any width; every time in the plan's window time zone; the
/// stage table, a table of every migration and the diagnostics. Loaded with `reconcile status -o json`
/// (a file, or `?live=URL` where the page is served), it becomes a live view: a "now" line, stages'
/// actual progress, failed steps marked. Deterministic: the same graph gives the same bytes.
/// </summary>
public static partial class ReportWriter
{
    private const int ChartWidth = 1000;

    /// <summary>Above this many VMs the hop lanes pack several VMs per row (a row each would be taller than any screen).</summary>
    private const int MaxVmRows = 2000;

    public static string Html(ExecutionGraph graph, MigrationPlan plan)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
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

        var clock = new ReportClock(plan.Windows.TimeZone);
        var scale = new TimeScale(start, end + TimeSpan.FromTicks((end - start).Ticks / 50), ChartWidth, [.. steps.Select(s => (s.PlannedStart, s.PlannedEnd))]);
        var colours = new StepColours(plan, steps);
        var vms = steps.Select(s => s.Vm).Distinct().Count();
        html.Write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Write($"<title>Reconcile: {E(graph.Plan)}</title>\n<style>\n{Css}</style>\n");
        // Any script error marks the page, so a headless browser test sees it in the DOM.
        html.Write("<script>window.addEventListener('error', function (e) { document.documentElement.setAttribute('data-error', String(e.message)); });</script>\n");
        html.Write("</head>\n");
        html.Write($"<body data-plan=\"{E(graph.Plan)}\" data-zone=\"{E(clock.ZoneId)}\">\n");
        html.Write($"<h1>Campaign <code>{E(graph.Plan)}</code></h1>\n");
        html.Write("<p class=\"facts\">");
        html.Write($"Start {clock.Format(graph.Start)} · end {clock.Format(end)} · makespan {Duration(graph.MakespanSeconds)} · lower bound {Duration(graph.LowerBoundSeconds)}");
        html.Write($" · {steps.Count(s => s.Kind == StepKind.Migrate)} migrations of {vms} VMs in {graph.Stages.Count} stages");
        html.Write($" · {Quantities.FormatBytes(steps.Where(s => s.Kind is StepKind.Migrate or StepKind.ReplicateStorage).Sum(s => s.Predicted.Bytes))} over the wire");
        html.Write(plan.Suspend ? " · <strong>suspended</strong>" : "");
        html.Write($"<br>Times in {E(clock.Describe(graph.Start))}.</p>\n");
        html.Write(LivePanel);

        html.Write(Legend(colours));
        html.Write(ZoomBar);
        html.Write($"<h2>Timeline by hop</h2>\n<p class=\"note\">A lane per hop (source and target cluster), {(vms <= MaxVmRows ? "a row per VM" : $"VMs packed into rows ({vms} VMs are more than {MaxVmRows} rows)")}; bars carry their step and duration where they fit.</p>\n");
        Chart(HopChart, HopLanes(steps, graph), vms <= MaxVmRows, plan, scale, clock, colours, html);
        html.Write("<h2>Load per cluster and link</h2>\n");
        Chart("load", LoadLanes(graph, steps), perVm: false, plan, scale, clock, colours, html);
        StageTable(graph, clock, html);
        MigrationTable(graph, clock, html);
        DiagnosticTable(graph.Diagnostics, html);
        html.Write("<div id=\"tip\" role=\"tooltip\"></div>\n");
        html.Write($"<script>\n{Script}</script>\n</body>\n</html>\n");
    }

    private sealed record Lane(string Title, string? Subtitle, IReadOnlyList<string> Clusters, IReadOnlyList<GraphStep> Steps);

    /// <summary>A lane per hop: the cluster a step leaves and the one it reaches (a drain within a cluster is its own hop).</summary>
    private static List<Lane> HopLanes(List<GraphStep> steps, ExecutionGraph graph)
    {
        return
        [
            .. steps.GroupBy(s => (From: s.From!.Cluster, To: s.To!.Cluster)).OrderBy(g => g.Key.From, StringComparer.Ordinal).ThenBy(g => g.Key.To, StringComparer.Ordinal)
                .Select(hop =>
                {
                    var links = hop.Select(s => s.Link).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
                    var bandwidth = links.Count == 1 && graph.Limits.LinkBandwidthBps.TryGetValue(links[0], out var bps) ? $"over {links[0]}, {Quantities.FormatBits(bps * 8)}" : null;
                    return new Lane(hop.Key.From == hop.Key.To ? $"within {hop.Key.From}" : $"{hop.Key.From} → {hop.Key.To}", bandwidth,
                        [.. new[] { hop.Key.From, hop.Key.To }.Distinct()], [.. hop]);
                }),
        ];
    }

    private static List<Lane> LoadLanes(ExecutionGraph graph, List<GraphStep> steps)
    {
        // Each cluster's and link's steps (in step order) gathered in one walk, not one walk per cluster and link.
        var byCluster = new Dictionary<string, List<GraphStep>>(StringComparer.Ordinal);
        var byLink = new Dictionary<string, List<GraphStep>>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            Add(byCluster, step.From!.Cluster, step);
            if (step.To!.Cluster != step.From.Cluster)
            {
                Add(byCluster, step.To.Cluster, step);
            }

            if (step.Link is { } stepLink)
            {
                Add(byLink, stepLink, step);
            }
        }

        var lanes = new List<Lane>();
        foreach (var (cluster, onCluster) in byCluster.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            lanes.Add(new Lane($"cluster {cluster}", null, [cluster], onCluster));
        }

        foreach (var (link, onLink) in byLink.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            var ends = onLink.SelectMany(s => new[] { s.From!.Cluster, s.To!.Cluster }).Distinct().Order(StringComparer.Ordinal).ToList();
            var bandwidth = graph.Limits.LinkBandwidthBps.TryGetValue(link, out var bps) ? Quantities.FormatBits(bps * 8) : null;
            lanes.Add(new Lane($"link {link}", bandwidth, ends, onLink));
        }

        return lanes;

        static void Add(Dictionary<string, List<GraphStep>> into, string key, GraphStep step) =>
            (into.TryGetValue(key, out var list) ? list : into[key] = []).Add(step);
    }

    private static string Legend(StepColours colours)
    {
        var legend = new System.Text.StringBuilder("<div class=\"legend\">");
        foreach (var (move, colour) in colours.Moves)
        {
            legend.Append($"<span><i style=\"background:{colour}\"></i>move {E(move)}</span>");
        }

        legend.Append("<span><i class=\"allow\"></i>allow window</span><span><i class=\"deny\"></i>deny window</span>");
        legend.Append("<span>darker: higher priority · outlined: snapshot, dashed: storage replication, dotted: verify</span>");
        return legend.Append("</div>\n").ToString();
    }

    private static string Kind(StepKind kind) => GraphWriter.KindName(kind);

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Duration(long seconds) => Quantities.FormatSeconds(seconds);
}
