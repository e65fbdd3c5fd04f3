using System.Text.RegularExpressions;
using Reconcile.Cli;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Reporting;
using Xunit.Abstractions;

namespace Reconcile.Compiler.Tests;

/// <summary>report.html: self-contained, deterministic, complete, and rendered for real in headless Chromium.</summary>
public sealed partial class ReportTests(ITestOutputHelper output)
{
    private static (string Html, ExecutionGraph Graph) Report(string example)
    {
        var (validation, result) = PlannerTests.PlanPath($"plans/examples/{example}", PlannerTests.Now);
        return (ReportWriter.Html(result.Graph!, validation.Model.Plans[0]), result.Graph!);
    }

    [Theory]
    [MemberData(nameof(ExampleTests.Examples), MemberType = typeof(ExampleTests))]
    public void The_report_is_self_contained_deterministic_and_shows_every_step(string example)
    {
        var (html, graph) = Report(example);
        Assert.Equal(html, Report(example).Html);
        // Nothing is fetched: no external scripts, styles, images or fonts (the SVG namespace is a name, not a fetch).
        Assert.DoesNotMatch(ExternalReference(), html.Replace("xmlns=\"http://www.w3.org/2000/svg\"", "", StringComparison.Ordinal));

        // Each step is drawn once in its hop's lane, and in the load chart once per lane it belongs to: each cluster it touches, and its link.
        var drawn = graph.Steps.Where(s => s.Kind != StepKind.Gate && s.From is not null).ToList();
        var expected = drawn.Count + drawn.Sum(s => (s.To is null || s.To.Cluster == s.From!.Cluster ? 1 : 2) + (s.Link is null ? 0 : 1));
        Assert.Equal(expected, StepBar().Matches(html).Count);
        foreach (var stage in graph.Stages)
        {
            Assert.Contains($"<td>{stage.Id}</td><td>{System.Net.WebUtility.HtmlEncode(stage.Name)}</td>", html);
        }
    }

    [Fact]
    public void Long_stretches_without_steps_are_cut_to_a_marked_break()
    {
        // fra-to-sgp waits from the Frankfurt night to the weekend night in Asia: over 15 hours with nothing running.
        var (html, _) = Report("fra-to-sgp");
        var gap = Regex.Match(html, "<rect class=\"break\"[^>]*data-tip=\"(\\d+h\\d+m) without steps\"");
        Assert.True(gap.Success, "no break in the timeline");
        Assert.StartsWith("15h", gap.Groups[1].Value);
        Assert.DoesNotMatch("<rect class=\"break\"", Report("node-drain").Html);
    }

    [Fact]
    public void Hover_text_carries_vm_bytes_rounds_and_downtime()
    {
        var (html, graph) = Report("node-drain");
        var step = graph.Steps.First(s => s.Kind == StepKind.Migrate);
        var bar = Regex.Match(html, $"data-step=\"{Regex.Escape(step.Id)}\" data-stage=\"[^\"]*\" data-tip=\"([^\"]*)\"");
        Assert.True(bar.Success);
        var tip = System.Net.WebUtility.HtmlDecode(bar.Groups[1].Value);
        Assert.Contains($"migrate {step.Vm}", tip);
        Assert.Contains($"{step.Predicted.Rounds} pre-copy rounds, downtime {step.Predicted.DowntimeMs} ms", tip);
        Assert.Contains(Model.Quantities.FormatBytes(step.Predicted.Bytes), tip);
    }

    [Fact]
    public void Deny_windows_are_hatched_where_they_fall_in_the_timeline()
    {
        // onprem-to-cloud runs from 01:00 Amsterdam time in its weekend window; a daily 20-minute deny
        // at 01:30 cuts through the campaign, and the chart must show it where it falls.
        using var dir = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("plans", "examples", "onprem-to-cloud")))
        {
            File.WriteAllText(dir.File(Path.GetFileName(file)), File.ReadAllText(file)
                .Replace("    deny:\n", "    deny:\n      - {name: nightly-backup, cron: \"30 1 * * *\", duration: 20m}\n", StringComparison.Ordinal));
        }

        var validation = PlanValidator.Validate(["."], dir.Path);
        Assert.False(validation.HasErrors, string.Join("\n", validation.Diagnostics));
        var plan = validation.Model.Plans[0];
        var graph = Planner.Plan(plan, validation.Model, PlannerTests.Now, validation.Digest).Graph!;
        var html = ReportWriter.Html(graph, plan);
        var deny = Regex.Matches(html, "<rect class=\"deny\" fill=\"url\\(#hatch-gantt\\)\" x=\"[0-9.]+\" y=\"\\d+\" width=\"([0-9.]+)\" height=\"\\d+\" data-tip=\"deny window nightly-backup: ([^\"]+)\"");
        Assert.NotEmpty(deny);
        Assert.All(deny, m => Assert.True(double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 5, m.Value));
        // In the plan's zone (Europe/Amsterdam, UTC+01:00 in January): 00:30 UTC is 01:30 there.
        Assert.Contains("2027-01-11 01:30 .. 2027-01-11 01:50", deny[0].Groups[2].Value);
    }

    [SkippableTheory]
    [MemberData(nameof(ExampleTests.Examples), MemberType = typeof(ExampleTests))]
    public void Chromium_renders_the_report_without_errors_and_a_screenshot_shows_the_timeline(string example)
    {
        var chromium = ExternalTools.Require(ExternalTools.Chromium(), "Chromium not installed: apt-get install chromium (CI does)");
        using var dir = new TempDirectory();
        var exit = Program.Run(["compile", $"plans/examples/{example}", "--out", dir.Path, "--now", PlannerTests.Now.ToString("o")], new IOContext(new StringWriter(), new StringWriter(), Repository.Root));
        Assert.Equal(0, exit);
        var report = new Uri(dir.File("report.html")).AbsoluteUri;
        var (_, graph) = Report(example);

        string[] headless = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars", $"--user-data-dir={dir.File("profile")}"];
        var (domExit, dom, log) = ExternalTools.Run(chromium, [.. headless, "--enable-logging=stderr", "--v=0", "--dump-dom", report]);
        Assert.True(domExit == 0, log);
        var drawn = graph.Steps.Count(s => s.Kind != StepKind.Gate && s.From is not null);
        Assert.Matches($"<body[^>]* data-rendered=\"\\d+ steps\"", dom);
        Assert.True(int.Parse(Regex.Match(dom, "data-rendered=\"(\\d+) steps\"").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= drawn);
        Assert.DoesNotMatch("<html[^>]*data-error", dom);
        Assert.DoesNotMatch("CONSOLE.*(Uncaught|Error)", log);

        // The check itself: the same page with a script error is caught.
        File.WriteAllText(dir.File("broken.html"), File.ReadAllText(dir.File("report.html")).Replace("</body>", "<script>undefinedFunction();</script></body>", StringComparison.Ordinal));
        var (_, brokenDom, _) = ExternalTools.Run(chromium, [.. headless, "--dump-dom", new Uri(dir.File("broken.html")).AbsoluteUri]);
        Assert.Matches("<html[^>]*data-error=\"[^\"]*undefinedFunction", brokenDom);

        var screenshots = Directory.CreateDirectory(Repository.PathOf("TestResults", "screenshots")).FullName;
        var png = Path.Combine(screenshots, $"report-{example}.png");
        File.Delete(png);
        var (shotExit, _, shotLog) = ExternalTools.Run(chromium, [.. headless, "--window-size=1300,1000", $"--screenshot={png}", report]);
        Assert.True(shotExit == 0 && File.Exists(png), shotLog);
        var bytes = File.ReadAllBytes(png);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        // A blank page compresses to a few kilobytes; the timeline does not.
        Assert.True(bytes.Length > 20_000, $"{png} is only {bytes.Length} bytes");
        output.WriteLine($"screenshot: {png}");
    }

    [GeneratedRegex("(src|href)\\s*=|<link|@import|url\\((?!#)|https?://", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();

    [GeneratedRegex("<rect class=\"step ")]
    private static partial Regex StepBar();
}
