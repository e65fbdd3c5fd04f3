using System.Globalization;
using Reconcile.Compiler;
using Reconcile.Compiler.Rendering;

namespace Reconcile.Cli;

/// <summary>What `plan`, `compile` and `diff` share: argument checks, --now, validate and compile.</summary>
public static class PlanPipeline
{
    /// <summary>
    /// The checks `plan` and `compile` make before any work: no unknown option hiding among the paths,
    /// and a usable --now. Returns the anchor time, or null after writing the usage error.
    /// </summary>
    public static DateTime? Arguments(IReadOnlyList<string> paths, string? now, Func<DateTime> clock, IOContext io)
    {
        if (!PathsAreUsable(paths, io))
        {
            return null;
        }

        var parsed = ParseNow(now, clock);
        if (parsed is null)
        {
            io.Error.WriteLine($"reconcile: --now '{now}' is not an RFC 3339 time such as 2026-12-05T00:00:00Z");
        }

        return parsed;
    }

    /// <summary>
    /// Unknown options reach a variadic argument in System.CommandLine, and an empty path would mean
    /// the current directory: both are usage errors, reported here.
    /// </summary>
    public static bool PathsAreUsable(IReadOnlyList<string> paths, IOContext io)
    {
        if (paths.FirstOrDefault(p => p.StartsWith('-')) is { } option)
        {
            io.Error.WriteLine($"reconcile: unknown option '{option}' (write ./{option} for a path that starts with '-')");
            return false;
        }

        if (paths.Any(string.IsNullOrWhiteSpace))
        {
            io.Error.WriteLine("reconcile: a path is empty; give a plan file or a directory");
            return false;
        }

        return true;
    }

    /// <summary>--now as given, or the current minute (UTC); null when the text is not a time.</summary>
    public static DateTime? ParseNow(string? text, Func<DateTime> clock)
    {
        if (text is null)
        {
            var current = clock();
            return new DateTime(current.Year, current.Month, current.Day, current.Hour, current.Minute, 0, DateTimeKind.Utc);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed.UtcDateTime : null;
    }

    /// <summary>Validates PATHs (relative to the current directory) and compiles; renders when templates are given.</summary>
    public static CompilationResult Run(IReadOnlyList<string> paths, DateTime now, string currentDirectory, TemplateSet? templates = null) =>
        Compilation.Run(PlanValidator.Validate(paths, currentDirectory), now, templates);

    /// <summary>
    /// As <see cref="Run(IReadOnlyList{string}, DateTime, string, TemplateSet?)"/>, showing progress (bars on a terminal, plain
    /// lines otherwise); the files go to <paramref name="sink"/> as they are rendered when one is given.
    /// </summary>
    public static CompilationResult Run(IReadOnlyList<string> paths, DateTime now, IOContext io, string command, TemplateSet? templates = null, IFileSink? sink = null) =>
        ProgressDisplay.Run(io, command, display =>
        {
            display.Report("validate", string.Join(" ", paths), 0, 0);
            var validation = PlanValidator.Validate(paths, io.CurrentDirectory);
            PhaseGarbage.Release();
            var result = Compilation.Run(validation, now, templates, new InlineProgress<CompilationProgress>(p =>
            {
                if (p is { Phase: "render", Done: 0 })
                {
                    PhaseGarbage.Release();
                }

                if (p.Phase != "done")
                {
                    display.Report(p.Phase, p.Plan, p.Done, p.Total);
                }
            }), sink);
            display.Complete();
            return result;
        });

    /// <summary>The exit code of a compilation: 2 when the input could not be read, 1 on errors, else 0.</summary>
    public static int ExitCode(CompilationResult result) =>
        result.Validation.HasInputProblem ? ExitCodes.Usage : result.HasErrors ? ExitCodes.Errors : ExitCodes.Success;
}
