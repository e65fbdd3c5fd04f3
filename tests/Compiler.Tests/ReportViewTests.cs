using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Reconcile.Cli;
using Reconcile.Cli.Status;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Reporting;

namespace Reconcile.Compiler.Tests;

/// <summary>
/// report.html as an operator reads it: a row per VM in its hop's lane with labels on the bars, times
/// in the plan's zone, a table of every migration, zoom to the window's width, and the live view fed
/// by `reconcile status -o json`, the last two in real headless Chromium.
/// </summary>
public sealed partial class ReportViewTests
{
    private static (string Html, ExecutionGraph Graph, MigrationPlan Plan) Report(string example)
    {
        var (validation, result) = PlannerTests.PlanPath($"plans/examples/{example}", PlannerTests.Now);
        return (ReportWriter.Html(result.Graph!, validation.Model.Plans[0]), result.Graph!, validation.Model.Plans[0]);
    }

    private static string HopChart(string html) => html[html.IndexOf("<svg id=\"gantt\"", StringComparison.Ordinal)..html.IndexOf("</svg>", StringComparison.Ordinal)];

    [Theory]
    [MemberData(nameof(ExampleTests.Examples), MemberType = typeof(ExampleTests))]
    public void Each_hop_has_a_lane_with_a_row_per_VM_and_labelled_bars(string example)
    {
        var (html, graph, _) = Report(example);
        var chart = HopChart(html);
        var steps = graph.Steps.Where(s => s.Kind != StepKind.Gate && s.From is not null).ToList();
        var hops = steps.GroupBy(s => (s.From!.Cluster, (s.To ?? s.From).Cluster)).ToList();

        Assert.Equal(hops.Count, Regex.Matches(chart, "<g class=\"lane\"").Count);
        // A VM has a row in every hop it takes (a VM staged through a cluster crosses two).
        Assert.Equal(hops.Sum(h => h.Select(s => s.Vm).Distinct().Count()), Regex.Matches(chart, "<text class=\"vm\"").Count);
        // Every bar has its label, shown where it fits at the report's base width.
        var labels = LabelText().Matches(chart).Select(m => WebUtility.HtmlDecode(m.Groups[2].Value)).ToList();
        Assert.Equal(steps.Count, labels.Count);
        Assert.Contains(labels, l => l.StartsWith("migrate ", StringComparison.Ordinal));
        Assert.Contains(LabelText().Matches(chart), m => m.Groups[1].Value.Length == 0);

        // The hover text is written once per step, on its hop bar; the load chart's bars find it there by step id.
        var tipped = Regex.Matches(chart, "data-step=\"([^\"]+)\" data-stage=\"[^\"]*\" data-tip=\"").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(steps.Count, tipped.Count);
        var load = html[html.IndexOf("<svg id=\"load\"", StringComparison.Ordinal)..];
        Assert.All(Regex.Matches(load, "<rect class=\"step [^>]*data-step=\"([^\"]+)\"[^>]*/>"), m =>
        {
            Assert.Contains(m.Groups[1].Value, tipped);
            Assert.DoesNotContain("data-tip", m.Value, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Times_are_in_the_plan_time_zone_and_every_migration_is_in_the_table()
    {
        var (html, graph, plan) = Report("fra-to-sgp");
        var zone = plan.Windows.TimeZone!;
        Assert.Contains($"Times in {zone.Id} (UTC+08:00 at the start).", html);

        var migrations = graph.Steps.Where(s => s.Kind == StepKind.Migrate).ToList();
        var rows = Regex.Matches(html, "<tr data-step=\"([^\"]+)\"><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>");
        Assert.Equal(migrations.Count, rows.Count);
        foreach (Match row in rows)
        {
            var step = migrations.Single(s => s.Id == WebUtility.HtmlDecode(row.Groups[1].Value));
            Assert.Equal(step.Vm, WebUtility.HtmlDecode(row.Groups[2].Value));
            Assert.StartsWith(step.From!.Cluster, row.Groups[3].Value);
            Assert.StartsWith(step.To!.Cluster, row.Groups[4].Value);
            Assert.Equal(TimeZoneInfo.ConvertTimeFromUtc(step.PlannedStart, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), row.Groups[5].Value);
            Assert.Equal(TimeZoneInfo.ConvertTimeFromUtc(step.PlannedEnd, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), row.Groups[6].Value);
        }

        // Rows in start order; the bytes and downtime columns are the prediction's.
        var first = migrations.OrderBy(s => s.PlannedStart).ThenBy(s => s.Id, StringComparer.Ordinal).First();
        Assert.Equal(first.Id, WebUtility.HtmlDecode(rows[0].Groups[1].Value));
        Assert.Contains($"<td class=\"num\">{Quantities.FormatBytes(first.Predicted.Bytes)}</td>", html);
    }

    [SkippableFact]
    public void Chromium_fits_the_timeline_to_the_window_and_shows_more_labels_when_wider()
    {
        var chromium = ExternalTools.Require(ExternalTools.Chromium(), "Chromium not installed: apt-get install chromium (CI does)");
        using var dir = Compile("fra-to-sgp");
        var report = new Uri(dir.File("report.html")).AbsoluteUri;
        var shownAtBase = Regex.Matches(HopChart(File.ReadAllText(dir.File("report.html"))), "<text class=\"bar-label\"").Count;

        var narrow = Dom(chromium, dir, report, 900);
        var wide = Dom(chromium, dir, report, 2400);

        double Width(string dom) => double.Parse(Regex.Match(dom, "<svg id=\"gantt\" class=\"gantt\"[^>]* width=\"([0-9.]+)\"").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(Width(narrow) < 900, $"the timeline is {Width(narrow)} px in a 900 px window");
        Assert.True(Width(wide) > 2000, $"the timeline is {Width(wide)} px in a 2400 px window");
        Assert.Matches("<span id=\"zoom-level\">\\d+%</span>", wide);
        Assert.True(Regex.Matches(HopChart(wide), "<text class=\"bar-label\"").Count > shownAtBase, "a wider timeline shows more bar labels");
        Assert.DoesNotMatch("<html[^>]*data-error", narrow + wide);
    }

    [SkippableFact]
    public void Chromium_turns_the_report_into_a_live_view_from_reconcile_status_json()
    {
        var chromium = ExternalTools.Require(ExternalTools.Chromium(), "Chromium not installed: apt-get install chromium (CI does)");
        using var dir = Compile("fra-to-sgp");
        var (_, graph, _) = Report("fra-to-sgp");
        var failedStep = graph.Steps.First(s => s.Kind == StepKind.Migrate && s.Stage == graph.Stages[1].Id);
        var now = graph.Start.AddHours(3);
        var end = graph.Start.AddSeconds(graph.MakespanSeconds);
        // The document `reconcile status -o json` writes (StatusDocument), for a run half through its first stage.
        var run = new RunSummary("fra-to-sgp-payments", graph.Plan, "abc123", "Asia/Shanghai", 30, 5, 1, 1, "False", "False", "False", graph.Stages[1].Id,
            null, end, end.AddMinutes(30), TimeSpan.FromMinutes(30),
            [
                new StageSummary(graph.Stages[0].Id, 4, 4, 0, 0, graph.Start, graph.Start.AddHours(1), graph.Start, graph.Start.AddHours(1), TimeSpan.Zero),
                new StageSummary(graph.Stages[1].Id, 6, 1, 1, 1, graph.Start.AddHours(1), graph.Start.AddHours(2), graph.Start.AddHours(1), null, TimeSpan.FromMinutes(30)),
            ],
            [(failedStep.Id, "the migration failed")]);
        File.WriteAllText(dir.File("status.json"), StatusDocument.Of("ctx", "reconcile-system", now, [run]).ToJsonString());

        var dom = Dom(chromium, dir, new Uri(dir.File("report.html")).AbsoluteUri + "?live=status.json", 1300, "--allow-file-access-from-files");

        Assert.DoesNotMatch("<html[^>]*data-error", dom);
        Assert.Matches("<body[^>]* data-live=\"5/30\"", dom);
        var shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        Assert.Contains($"Status at {TimeZoneInfo.ConvertTimeFromUtc(now, shanghai):yyyy-MM-dd HH:mm}: 5 of 30 steps done, 1 running, 1 failed; stage {graph.Stages[1].Id}", dom);
        Assert.Matches($"data-step=\"{Regex.Escape(failedStep.Id)}\" data-stage=\"[^\"]+\" data-tip=\"[^\"]*\" data-live=\"failed\"", dom);
        Assert.Matches($"data-stage=\"{Regex.Escape(graph.Stages[0].Id)}\" data-tip=\"[^\"]*\" data-live=\"done\"", dom);
        Assert.Equal(2, Regex.Matches(dom, "<line class=\"now\"").Count);
        Assert.Contains($"<td class=\"live\">1 / 6 (1 failed)</td>", dom);
        Assert.Contains("<td class=\"live\">behind by 30m</td>", dom);

        // A status without this plan says so rather than marking anything.
        File.WriteAllText(dir.File("other.json"), StatusDocument.Of("ctx", "reconcile-system", now, [run with { Plan = "another-plan" }]).ToJsonString());
        var other = Dom(chromium, dir, new Uri(dir.File("report.html")).AbsoluteUri + "?live=other.json", 1300, "--allow-file-access-from-files");
        Assert.Matches("<body[^>]* data-live=\"no-run\"", other);
        Assert.DoesNotMatch("<rect[^>]* data-live=", other);
    }

    private static TempDirectory Compile(string example)
    {
        var dir = new TempDirectory();
        var exit = Program.Run(["compile", $"plans/examples/{example}", "--out-dir", dir.Path, "--now", PlannerTests.Now.ToString("o")], new IOContext(new StringWriter(), new StringWriter(), Repository.Root));
        Assert.Equal(0, exit);
        return dir;
    }

    private static string Dom(string chromium, TempDirectory dir, string url, int width, params string[] extra)
    {
        var profile = dir.File($"profile-{width}-{extra.Length}");
        var (exit, dom, log) = ExternalTools.Run(chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars", $"--user-data-dir={profile}", $"--window-size={width},1000",
             "--virtual-time-budget=5000", .. extra, "--dump-dom", url]);
        Assert.True(exit == 0, log);
        return dom;
    }

    /// <summary>A bar's label: group 1 is " hidden" where it does not fit, group 2 its text.</summary>
    [GeneratedRegex("<text class=\"bar-label( hidden)?\"[^>]*>([^<]*)</text>")]
    private static partial Regex LabelText();
}
