using System.Text.RegularExpressions;
using Reconcile.Cli;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;

namespace Reconcile.Compiler.Tests;

/// <summary>docs/ci: the workflow files parse, their reconcile commands work as written, and the pre-commit hook really guards commits.</summary>
public sealed partial class CiRecipeTests
{
    private const string Now = "2026-12-01T00:00:00Z";

    public static TheoryData<string> Recipes() => new() { "github-actions.yml", "gitlab-ci.yml" };

    [Theory]
    [MemberData(nameof(Recipes))]
    public void Recipe_is_yaml_and_runs_validate_diff_and_compile(string recipe)
    {
        var text = File.ReadAllText(Repository.PathOf("docs", "ci", recipe));
        var documents = new List<PlanDocument>();
        var diagnostics = new List<Diagnostic>();
        PlanLoader.LoadText(recipe, text, documents, diagnostics);
        Assert.Empty(diagnostics);
        Assert.Single(documents);

        var commands = Invocation().Matches(text).Select(m => m.Groups[1].Value.Trim()).ToList();
        Assert.Equal(["compile", "diff", "validate"], commands.Select(c => c.Split(' ')[0]).Distinct().Order());
        Assert.Contains(commands, c => c.StartsWith("diff ", StringComparison.Ordinal) && c.Contains("--format markdown", StringComparison.Ordinal));
    }

    [SkippableTheory]
    [MemberData(nameof(Recipes))]
    public void Every_reconcile_command_in_the_recipe_succeeds_in_this_repository(string recipe)
    {
        Skip.IfNot(Directory.Exists(Repository.PathOf(".git")), "not a Git checkout");
        using var output = new TempDirectory();
        foreach (var command in Invocation().Matches(File.ReadAllText(Repository.PathOf("docs", "ci", recipe))).Select(m => m.Groups[1].Value))
        {
            // The CI variables, as the runner would set them for a pull request against this very commit.
            var line = command.Replace("\"$PLANS\"", "plans/examples", StringComparison.Ordinal)
                .Replace("\"$NOW\"", Now, StringComparison.Ordinal)
                .Replace("\"origin/$GITHUB_BASE_REF\"", "HEAD", StringComparison.Ordinal)
                .Replace("\"origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME\"", "HEAD", StringComparison.Ordinal)
                .Replace("--out build", "--out " + output.File("build"), StringComparison.Ordinal);
            Assert.DoesNotContain("$", line);
            var args = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var exit = Program.Run(args, new IOContext(stdout, stderr, Repository.Root));
            Assert.True(exit == 0, $"reconcile {line}: exit {exit}\n{stdout}\n{stderr}");
        }

        Assert.True(File.Exists(output.File(Path.Combine("build", "fra-to-sgp-payments", "report.html"))));
    }

    [SkippableFact]
    public void The_pre_commit_hook_refuses_staged_plans_with_errors_and_lets_good_ones_through()
    {
        Skip.If(OperatingSystem.IsWindows(), "the hook is a bash script");
        using var repo = new TempDirectory();
        Git(repo.Path, "init", "-q", "-b", "main");
        var plans = Path.Combine(repo.Path, "plans", "fra-to-sgp");
        Directory.CreateDirectory(plans);
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("plans", "examples", "fra-to-sgp")))
        {
            File.Copy(file, Path.Combine(plans, Path.GetFileName(file)));
        }

        var hook = Path.Combine(repo.Path, ".git", "hooks", "pre-commit");
        File.Copy(Repository.PathOf("docs", "ci", "pre-commit"), hook);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Git(repo.Path, "add", "-A");
        Assert.Equal(0, Git(repo.Path, "commit", "-q", "-m", "good plans").Exit);

        var plan = Path.Combine(plans, "plan.yaml");
        var good = File.ReadAllText(plan);
        File.WriteAllText(plan, good.Replace("maxFailures: 1", "maxFailures: many", StringComparison.Ordinal));
        Git(repo.Path, "add", "-A");
        var refused = Git(repo.Path, "commit", "-q", "-m", "broken plan");
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("RC1011", refused.Output + refused.Error);
        Assert.Contains("do not validate", refused.Error);

        // A fix left unstaged does not count: the hook checks what would be committed.
        File.WriteAllText(plan, good);
        Assert.NotEqual(0, Git(repo.Path, "commit", "-q", "-m", "still broken").Exit);
        Git(repo.Path, "add", "-A");
        Assert.Equal(0, Git(repo.Path, "commit", "-q", "--allow-empty", "-m", "fixed").Exit);
    }

    // The hook runs the CLI these tests were built with.
    private static (int Exit, string Output, string Error) Git(string directory, params string[] args) =>
        ExternalTools.Run("git", ["-c", "user.name=Reviewer", "-c", "user.email=reviewer@example.net", .. args], workingDirectory: directory,
            environment: new Dictionary<string, string> { ["RECONCILE"] = $"dotnet {typeof(Program).Assembly.Location}", ["PLANS"] = "plans" });

    [GeneratedRegex(@"\./\.reconcile/reconcile ([^>|\n]+?)\s*(?:>|\|\||\n)")]
    private static partial Regex Invocation();
}
