using System.Diagnostics;

namespace Reconcile.Compiler.Tests;

/// <summary>
/// Real programs the tests drive (kubectl, Chromium, Prometheus' promtool) and data they read (the SARIF schema). Where one
/// is missing a test skips with the reason, except under RECONCILE_REQUIRE_TOOLS=1 (set by .ci/run,
/// which installs them), where a missing tool fails the test instead of hiding it.
/// </summary>
internal static class ExternalTools
{
    public static string? Find(params string?[] candidates) => candidates.FirstOrDefault(c => c is not null && File.Exists(c));

    public static string? Kubectl() => Find(Environment.GetEnvironmentVariable("RECONCILE_KUBECTL"), Repository.PathOf(".tools", "kubectl", "kubectl"));

    public static string? Helm() => Find(Environment.GetEnvironmentVariable("RECONCILE_HELM"), Repository.PathOf(".tools", "helm", "helm"));

    public static string? Chromium() => Find(Environment.GetEnvironmentVariable("RECONCILE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser");

    public static string? Promtool() => Find(Environment.GetEnvironmentVariable("RECONCILE_PROMTOOL"), "/usr/bin/promtool");

    public static string? Prometheus() => Find(Environment.GetEnvironmentVariable("RECONCILE_PROMETHEUS"), "/usr/bin/prometheus");

    public static string? SarifSchema() => Find(Repository.PathOf(".tools", "sarif", "sarif-schema-2.1.0.json"));

    /// <summary>Skips (or, in CI, fails) when <paramref name="path"/> is null.</summary>
    public static string Require(string? path, string reason)
    {
        var required = Environment.GetEnvironmentVariable("RECONCILE_REQUIRE_TOOLS") == "1";
        Assert.False(path is null && required, $"{reason} (RECONCILE_REQUIRE_TOOLS=1)");
        Skip.If(path is null, reason);
        return path!;
    }

    /// <summary>Runs git in <paramref name="directory"/>, which must succeed; returns its output.</summary>
    public static string Git(string directory, params string[] args) => Succeed("git", args, directory);

    /// <summary>Runs a program that must succeed; returns its output.</summary>
    public static string Succeed(string program, string[] args, string? directory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var (exit, output, error) = Run(program, args, workingDirectory: directory, environment: environment);
        Assert.True(exit == 0, $"{program} {string.Join(' ', args)}: {error}");
        return output;
    }

    /// <summary>Runs a program to its end (or kills it after the timeout) and returns exit code, stdout and stderr.</summary>
    public static (int Exit, string Out, string Error) Run(string program, IEnumerable<string> arguments, int timeoutMs = 120_000,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} did not finish within {timeoutMs / 1000} s");
        }

        return (process.ExitCode, output.Result, error.Result);
    }
}
