using System.Text.Json.Nodes;
using Reconcile.Cli;
using Reconcile.Compiler.Diffing;

namespace Reconcile.Compiler.Tests;

/// <summary>`reconcile diff` on a real Git repository holding two commits of an example plan.</summary>
public sealed class DiffTests : IDisposable
{
    private const string Now = "2026-12-01T00:00:00Z";
    private readonly TempDirectory repo = new();

    public DiffTests()
    {
        CopyExample("fra-to-sgp");
        Git("init", "-q", "-b", "main");
        Commit("fra-to-sgp as it is");
        // The change under review: app-2 leaves the application stage for the reporting stage (which
        // runs after it), and the weekend window closes an hour earlier.
        Edit("plans/fra-to-sgp/inventory-fra-1.yaml", "labels: {app: payments, tier: app}", "labels: {app: payments, tier: reporting}", line: 64);
        Edit("plans/fra-to-sgp/plan.yaml", "select: {names: [payments/reporting-0]}", "select: {namespaces: [payments], labels: {tier: reporting}}");
        Edit("plans/fra-to-sgp/plan.yaml", "cron: \"0 1 * * 6,0\", duration: 5h", "cron: \"0 1 * * 6,0\", duration: 4h");
        Commit("move app-2 to the reporting stage; shorter weekend window");
    }

    public void Dispose() => repo.Dispose();

    [Fact]
    public void Text_says_which_VM_moved_to_a_later_stage_and_which_window_tightened()
    {
        var (exit, output, error) = Run("diff", "--base", "HEAD~1", "plans", "--now", Now);
        Assert.True(exit == 0, error);
        Assert.Contains("VM payments/app-2 moved from stage payments-app to later stage payments-reporting", output);
        Assert.Contains("window allow weekend-night: cron \"0 1 * * 6,0\" for 5h00m (Asia/Shanghai) -> cron \"0 1 * * 6,0\" for 4h00m (Asia/Shanghai)", output);
        Assert.Contains("1 VM moved to another stage; 1 window changed", output);
        Assert.Contains("Diagnostics: 0 new, 0 resolved", output);
        // No other VM moved stage, and no limit changed.
        Assert.Single(output.Split('\n'), l => l.Contains("moved from stage", StringComparison.Ordinal));
        Assert.DoesNotContain("limit ", output);
        // The manifests of app-2 follow it: its labels now name the reporting move.
        Assert.Contains("-    \"migration.reconcile.dev/move\": \"payments-app\"\n+    \"migration.reconcile.dev/move\": \"payments-reporting\"", output);
    }

    [Fact]
    public void Markdown_leads_with_a_summary_table_and_folds_the_details()
    {
        var (exit, output, _) = Run("diff", "--base", "HEAD~1", "--head", "HEAD", "plans", "--now", Now, "--format", "markdown");
        Assert.Equal(0, exit);
        var lines = output.Split('\n');
        Assert.StartsWith("### Reconcile: campaign diff `HEAD~1 (", lines[0]);
        Assert.Equal("| --- | --- |", lines[3]);
        Assert.Contains("| `payments/app-2` | moved to later stage | payments-app → payments-reporting |", output);
        Assert.Contains("| allow weekend-night | cron \"0 1 * * 6,0\" for 5h00m (Asia/Shanghai) | cron \"0 1 * * 6,0\" for 4h00m (Asia/Shanghai) |", output);
        Assert.Contains("<details><summary>Manifests (", output);
        Assert.Contains("```diff\n--- a/fra-1/static/labels.yaml\n+++ b/fra-1/static/labels.yaml\n@@ ", output);
        Assert.Equal(output.Split("<details").Length, output.Split("</details>").Length);
    }

    [Fact]
    public void Json_carries_the_same_facts()
    {
        var (exit, output, _) = Run("diff", "--base", "HEAD~1", "plans", "--now", Now, "-f", "json");
        Assert.Equal(0, exit);
        var plan = JsonNode.Parse(output)!["plans"]![0]!;
        var vm = Assert.Single(plan["vms"]!.AsArray(), v => v!["change"]!.GetValue<string>() == "moved to later stage")!;
        Assert.Equal(("payments/app-2", "payments-app", "payments-reporting"),
            (vm["vm"]!.GetValue<string>(), vm["stage"]!["base"]!.GetValue<string>(), vm["stage"]!["head"]!.GetValue<string>()));
        Assert.Equal("allow weekend-night", Assert.Single(plan["windows"]!.AsArray())!["name"]!.GetValue<string>());
    }

    [Fact]
    public void The_same_revision_twice_is_no_change_and_output_is_byte_identical()
    {
        var (exit, output, _) = Run("diff", "--base", "HEAD", "plans", "--now", Now);
        Assert.Equal(0, exit);
        Assert.EndsWith("No changes to diagnostics, schedule, windows, limits or manifests.\n", output);
        Assert.Equal(Run("diff", "--base", "HEAD~1", "plans", "--now", Now).Out, Run("diff", "--base", "HEAD~1", "plans", "--now", Now).Out);
    }

    [Fact]
    public void A_head_with_errors_exits_one_and_names_the_new_diagnostic()
    {
        Edit("plans/fra-to-sgp/plan.yaml", "maxFailures: 1", "maxFailures: many");
        var (exit, output, _) = Run("diff", "--base", "HEAD", "plans", "--now", Now);
        Assert.Equal(1, exit);
        Assert.Contains("Head: has errors", output);
        Assert.Contains("  new      plans/fra-to-sgp/plan.yaml:", output);
        Assert.Contains("Manifests: not compared (a revision has errors)", output);

        // The other way round (errors only in the base) is fine: the head fixes them.
        Commit("break it");
        Edit("plans/fra-to-sgp/plan.yaml", "maxFailures: many", "maxFailures: 1");
        var (fixedExit, fixedOutput, _) = Run("diff", "--base", "HEAD", "plans", "--now", Now);
        Assert.Equal(0, fixedExit);
        Assert.Contains("  resolved plans/fra-to-sgp/plan.yaml:", fixedOutput);
    }

    [Fact]
    public void A_plan_new_at_head_is_reported_as_new()
    {
        CopyExample("node-drain");
        var (exit, output, _) = Run("diff", "--base", "HEAD", "plans", "--now", Now);
        Assert.Equal(0, exit);
        Assert.Contains("Plan ber-1-firmware-wave (new)", output);
        Assert.Contains("VM erp/erp-db-0 added in stage drain-w5-w6", output);
    }

    [Fact]
    public void Bad_arguments_are_usage_errors()
    {
        Assert.Equal(2, Run("diff", "--base", "no-such-branch", "plans").Exit);
        Assert.Equal(2, Run("diff", "--base", "HEAD", "--threshold", "soon", "plans").Exit);
        Assert.Equal(2, Run("diff", "--base", "HEAD", "../elsewhere").Exit);
        using var notARepository = new TempDirectory();
        var error = new StringWriter();
        Assert.Equal(2, Program.Run(["diff", "--base", "HEAD", "."], new IOContext(new StringWriter(), error, notARepository.Path)));
        Assert.Contains("is not inside a Git repository", error.ToString());
    }

    [Fact]
    public void Only_shifts_of_at_least_the_threshold_are_reported()
    {
        // Fewer migrations at once: the same VMs in the same stages, most of them later.
        Edit("plans/fra-to-sgp/plan.yaml", "parallelism: {perCluster: 4", "parallelism: {perCluster: 1");
        var fine = Run("diff", "--base", "HEAD", "plans", "--now", Now, "--threshold", "1s", "-f", "json").Out;
        var coarse = Run("diff", "--base", "HEAD", "plans", "--now", Now, "--threshold", "30d", "-f", "json").Out;
        var shifted = JsonNode.Parse(fine)!["plans"]![0]!["vms"]!.AsArray();
        Assert.NotEmpty(shifted);
        Assert.All(shifted, v => Assert.Equal("shifted", v!["change"]!.GetValue<string>()));
        Assert.Empty(JsonNode.Parse(coarse)!["plans"]![0]!["vms"]!.AsArray());
        Assert.Contains(JsonNode.Parse(coarse)!["plans"]![0]!["limits"]!.AsArray(), l => l!["name"]!.GetValue<string>() == "parallelism.perCluster");
    }

    [Fact]
    public void Unified_diff_has_hunks_with_context_like_diff_u()
    {
        var before = string.Join("\n", Enumerable.Range(1, 20).Select(i => $"line {i}")) + "\n";
        var after = before.Replace("line 5\n", "line five\n").Replace("line 18\n", "").Replace("line 20\n", "line 20\nline 21\n");
        Assert.Equal(
            "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+line five\n line 6\n line 7\n line 8\n" +
            "@@ -15,6 +15,6 @@\n line 15\n line 16\n line 17\n-line 18\n line 19\n line 20\n+line 21\n",
            UnifiedDiff.Of("f", before, after));
        Assert.StartsWith("--- /dev/null\n+++ b/f\n@@ -0,0 +1,20 @@\n+line 1\n", UnifiedDiff.Of("f", null, before));
    }

    private (int Exit, string Out, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = Program.Run(args, new IOContext(output, error, repo.Path));
        return (exit, output.ToString(), error.ToString());
    }

    private void CopyExample(string example)
    {
        var target = Path.Combine(repo.Path, "plans", example);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("plans", "examples", example)))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
    }

    private void Edit(string path, string from, string to, int? line = null)
    {
        var file = Path.Combine(repo.Path, path);
        var text = File.ReadAllText(file);
        var at = line is { } n ? IndexOfLine(text, n - 1) : 0;
        var index = text.IndexOf(from, at, StringComparison.Ordinal);
        Assert.True(index >= 0, $"{path}: '{from}' not found");
        File.WriteAllText(file, text[..index] + to + text[(index + from.Length)..]);
    }

    private static int IndexOfLine(string text, int line)
    {
        var index = 0;
        for (var i = 0; i < line; i++)
        {
            index = text.IndexOf('\n', index) + 1;
        }

        return index;
    }

    private void Commit(string message)
    {
        Git("add", "-A");
        Git("-c", "user.name=Reviewer", "-c", "user.email=reviewer@example.net", "commit", "-q", "-m", message);
    }

    private void Git(params string[] args) => ExternalTools.Git(repo.Path, args);
}
