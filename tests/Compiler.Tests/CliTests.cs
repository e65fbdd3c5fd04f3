using System.Text.Json;
using System.Text.RegularExpressions;
using Reconcile.Cli;

namespace Reconcile.Compiler.Tests;

public sealed partial class CliTests
{
    private static (int Exit, string Out, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = Program.Run(args, new IOContext(output, error, Repository.Root));
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Clean_examples_exit_zero_with_a_summary()
    {
        var (exit, output, _) = Run("validate", "plans/examples");
        Assert.Equal(0, exit);
        Assert.Equal("0 errors, 0 warnings\n", output);
    }

    [Fact]
    public void Errors_exit_one_in_compiler_format_with_hint_and_summary()
    {
        var (exit, output, _) = Run("validate", "plans/invalid/RC3002-latency-too-high-for-live.yaml");
        Assert.Equal(1, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(DiagnosticLine(), lines[0]);
        Assert.StartsWith("plans/invalid/RC3002-latency-too-high-for-live.yaml:", lines[0]);
        Assert.Contains(" error RC3002: ", lines[0]);
        Assert.StartsWith("    hint: ", lines[1]);
        Assert.Equal("1 errors, 0 warnings", lines[^1]);
    }

    [Fact]
    public void Warnings_alone_exit_zero()
    {
        var (exit, output, _) = Run("validate", "plans/invalid/RC3013-unencrypted-migration.yaml");
        Assert.Equal(0, exit);
        Assert.EndsWith("0 errors, 1 warnings\n", output);
    }

    [Fact]
    public void Suppressed_warnings_disappear_but_errors_stay()
    {
        var dir = Directory.CreateTempSubdirectory("reconcile-suppress-");
        try
        {
            var text = File.ReadAllText(Repository.PathOf("plans", "invalid", "RC3013-unencrypted-migration.yaml"));
            File.WriteAllText(Path.Combine(dir.FullName, "plan.yaml"), text.Replace("    canary: 1\n", "    canary: 1\n  suppress: [RC3013]\n"));
            var result = PlanValidator.Validate(["plan.yaml"], dir.FullName);
            Assert.Empty(result.Diagnostics);

            File.WriteAllText(Path.Combine(dir.FullName, "plan.yaml"), text.Replace("    canary: 1\n", "    canary: 1\n  suppress: [RC3013, RC2011]\n").Replace("namespaces: [shop]", "namespaces: [nope]"));
            result = PlanValidator.Validate(["plan.yaml"], dir.FullName);
            Assert.Empty(result.Diagnostics);

            File.WriteAllText(Path.Combine(dir.FullName, "plan.yaml"), text.Replace("    canary: 1\n", "    canary: 1\n  suppress: [RC2005]\n").Replace("      to: dst", "      to: nowhere"));
            result = PlanValidator.Validate(["plan.yaml"], dir.FullName);
            Assert.Contains(result.Diagnostics, d => d.Code == "RC2005");
            Assert.Contains(result.Diagnostics, d => d.Code == "RC5008");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Missing_path_exits_two()
    {
        var (exit, output, _) = Run("validate", "does/not/exist");
        Assert.Equal(2, exit);
        Assert.Contains("error RC1005", output);
    }

    [Fact]
    public void Bad_usage_exits_two_without_a_stack_trace()
    {
        foreach (var args in new[] { new[] { "validate" }, ["validate", "plans", "--format", "xml"], ["frobnicate"], ["validate", "plans", "--nope"], ["validate", ""], ["plan", " "], ["compile", "", "--out", "x"] })
        {
            var (exit, _, error) = Run(args);
            Assert.Equal(2, exit);
            Assert.DoesNotContain("   at ", error);
            Assert.Contains("reconcile: ", error);
        }
    }

    [Fact]
    public void Json_output_is_an_array_with_hint_and_seed()
    {
        var (exit, output, error) = Run("validate", "plans/invalid/RC3003-volume-not-read-write-many.yaml", "--format", "json");
        Assert.Equal(1, exit);
        Assert.Equal("1 errors, 0 warnings\n", error);
        var diagnostics = JsonDocument.Parse(output).RootElement;
        var d = Assert.Single(diagnostics.EnumerateArray());
        Assert.Equal("RC3003", d.GetProperty("code").GetString());
        Assert.Equal("S16", d.GetProperty("seed").GetString());
        Assert.Equal("error", d.GetProperty("severity").GetString());
        Assert.False(string.IsNullOrEmpty(d.GetProperty("hint").GetString()));
        Assert.True(d.GetProperty("line").GetInt32() > 1);
    }

    [Fact]
    public void Sarif_output_has_rules_and_results_as_code_scanning_reads_them()
    {
        var (_, output, _) = Run("validate", "plans/invalid/RC3002-latency-too-high-for-live.yaml", "--format", "sarif");
        var sarif = JsonDocument.Parse(output).RootElement;
        Assert.Equal("2.1.0", sarif.GetProperty("version").GetString());
        var run = Assert.Single(sarif.GetProperty("runs").EnumerateArray());
        var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().ToList();
        var result = Assert.Single(run.GetProperty("results").EnumerateArray());
        var index = result.GetProperty("ruleIndex").GetInt32();
        Assert.Equal("RC3002", rules[index].GetProperty("id").GetString());
        Assert.Equal(result.GetProperty("ruleId").GetString(), rules[index].GetProperty("id").GetString());
        var location = result.GetProperty("locations")[0].GetProperty("physicalLocation");
        Assert.Equal("plans/invalid/RC3002-latency-too-high-for-live.yaml", location.GetProperty("artifactLocation").GetProperty("uri").GetString());
        Assert.True(location.GetProperty("region").GetProperty("startLine").GetInt32() > 0);
    }

    [Fact]
    public void Github_output_is_workflow_commands()
    {
        var (_, output, _) = Run("validate", "plans/invalid/RC3013-unencrypted-migration.yaml", "--format", "github");
        Assert.Matches(@"^::warning file=plans/invalid/RC3013-unencrypted-migration\.yaml,line=\d+,col=\d+,title=RC3013::.+%0Ahint: .+\n$", output);
    }

    [GeneratedRegex(@"^[^:]+:\d+:\d+: (error|warning|info) RC\d{4}: .+$")]
    private static partial Regex DiagnosticLine();
}

/// <summary>The output README shows is the output users get.</summary>
public sealed partial class ReadmeTests
{
    [Fact]
    public void Readme_example_output_is_current()
    {
        var readme = File.ReadAllText(Repository.PathOf("README.md"));
        var block = ReadmeExample().Match(readme);
        Assert.True(block.Success, "README has no `$ dotnet run --project src/Cli -- validate` example");
        var output = new StringWriter();
        var args = block.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Reconcile.Cli.Program.Run(args, new Reconcile.Cli.IOContext(output, new StringWriter(), Repository.Root));
        Assert.Equal(block.Groups[2].Value.Replace("\r\n", "\n"), output.ToString());
    }

    [Fact]
    public void Readme_main_job_writes_what_it_says()
    {
        var readme = File.ReadAllText(Repository.PathOf("README.md"));
        var claimed = int.Parse(Regex.Match(readme, @"`wrote (\d+) files to build`").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        using var dir = new TempDirectory();
        var output = new StringWriter();
        Assert.Equal(0, Reconcile.Cli.Program.Run(["compile", "plans/examples", "--out-dir", dir.Path, "--now", "2026-12-01T00:00:00Z"],
            new Reconcile.Cli.IOContext(output, new StringWriter(), Repository.Root)));
        // Besides them, the marker that makes the directory reconcile's own (docs/cli.md).
        Assert.Equal(claimed, Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).Count(f => Path.GetFileName(f) != Reconcile.Cli.OutputDirectory.MarkerFile));
        Assert.StartsWith("0 errors, 0 warnings\n", output.ToString());
    }

    [GeneratedRegex(@"```text\n\$ dotnet run --project src/Cli -- (validate [^\n]+)\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ReadmeExample();
}

/// <summary>Progress of long work: plain lines on stderr when stdout is not a terminal, Spectre.Console bars on a terminal.</summary>
public sealed class ProgressTests
{
    [Fact]
    public void Without_a_terminal_compile_reports_plain_lines_on_stderr_and_leaves_stdout_alone()
    {
        using var dir = new TempDirectory();
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = Program.Run(["compile", "plans/examples", "--out", dir.Path, "--now", "2026-12-01T00:00:00Z"], new IOContext(output, error, Repository.Root));
        Assert.Equal(0, exit);
        Assert.Equal("0 errors, 0 warnings\nwrote 292 files to " + dir.Path + "\n", output.ToString());
        Assert.Equal(
            ["compile: validate plans/examples", "compile: plan ams-to-aws (1 of 3)", "compile: plan ber-1-firmware-wave (2 of 3)", "compile: plan fra-to-sgp-payments (3 of 3)",
             "compile: render ams-to-aws (1 of 3)", "compile: render ber-1-firmware-wave (2 of 3)", "compile: render fra-to-sgp-payments (3 of 3)"],
            error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [SkippableFact]
    public void On_a_terminal_compile_draws_progress_bars_and_clears_them()
    {
        var script = ExternalTools.Find("/usr/bin/script", "/bin/script");
        Skip.If(script is null || OperatingSystem.IsWindows(), "util-linux `script` (a pseudo-terminal) is not available");
        using var dir = new TempDirectory();
        var cli = $"dotnet {typeof(Program).Assembly.Location} compile plans/examples/node-drain --out {dir.Path} --now 2026-12-01T00:00:00Z";
        var (exit, output, error) = ExternalTools.Run(script!, ["-q", "-e", "-c", $"cd {Repository.Root} && {cli}", "/dev/null"]);
        Assert.True(exit == 0, output + error);
        Assert.Contains("━", output);                           // Spectre.Console's bar
        Assert.Contains("plan ber-1-firmware-wave", output);
        Assert.Contains("\u001b[2K", output);                   // cleared when done
        Assert.Contains("wrote ", output);
        Assert.DoesNotContain("compile: plan", output);         // no plain lines on a terminal
    }
}
