using System.CommandLine;
using Reconcile.Cli.Commands;

namespace Reconcile.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args, IOContext.Console());

    /// <summary>Every command; tests parse command lines against it (docs/ci) without running them.</summary>
    public static RootCommand CreateRoot(IOContext io, Func<DateTime> clock) =>
        new("Reconcile: plans, checks and carries out KubeVirt live-migration campaigns between clusters.")
        {
            ValidateCommand.CreateCommand(io),
            PlanCommand.CreateCommand(io, clock),
            CompileCommand.CreateCommand(io, clock),
            DiffCommand.CreateCommand(io, clock),
            SimulatorCommand.CreateCommand(io, clock),
            SimulateCommand.CreateCommand(io, clock),
            RunCommand.CreateCommand(io, clock),
            StatusCommand.CreateCommand(io, clock),
            RunPatchCommand.CreateCommand(io, RunVerb.Suspend, clock),
            RunPatchCommand.CreateCommand(io, RunVerb.Resume, clock),
            RunPatchCommand.CreateCommand(io, RunVerb.Rollback, clock),
            RunPatchCommand.CreateCommand(io, RunVerb.Retry, clock),
            DiscoverCommand.CreateCommand(io),
            CompletionCommand.CreateCommand(io),
        };

    /// <summary>
    /// The value after -o/--output when it reads as a directory rather than a format (a path, not a word):
    /// how scripts written before -o became the format spelled the output directory.
    /// </summary>
    private static string? OutputDirectoryAfterDashO(string[] args)
    {
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] is "-o" or "--output" && !args[i + 1].All(char.IsAsciiLetterLower))
            {
                return args[i + 1];
            }
        }

        return null;
    }

    /// <summary>Runs the CLI in-process; the tests call this with their own writers, clock and cancellation (Ctrl-C for long-running commands).</summary>
    public static int Run(string[] args, IOContext io, Func<DateTime>? clock = null, CancellationToken cancel = default)
    {
        clock ??= () => DateTime.UtcNow;
        try
        {
            var parse = CreateRoot(io, clock).Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var error in parse.Errors)
                {
                    io.Error.WriteLine($"reconcile: {error.Message}");
                }

                if (OutputDirectoryAfterDashO(args) is { } directory)
                {
                    io.Error.WriteLine($"reconcile: hint: -o/--output is the output format, as in kubectl; the output directory is --out-dir {directory} (--out still works)");
                }

                io.Error.WriteLine("Run 'reconcile --help' for usage.");
                return ExitCodes.Usage;
            }

            var configuration = new InvocationConfiguration { Output = io.Out, Error = io.Error, EnableDefaultExceptionHandler = false };
            return cancel.CanBeCanceled
                ? parse.InvokeAsync(configuration, cancel).GetAwaiter().GetResult()
                : parse.Invoke(configuration);
        }
        catch (Exception e)
        {
            // Last line of defence: an internal error is reported in the diagnostic format, never as a stack trace.
            io.Error.WriteLine($"reconcile: error RC1099: internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("RECONCILE_TRACE") == "1")
            {
                // For bug reports: the stack trace, only when asked for.
                io.Error.WriteLine(e.ToString());
            }

            return ExitCodes.Usage;
        }
    }
}
