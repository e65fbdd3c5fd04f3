using Spectre.Console;

namespace Reconcile.Cli;

/// <summary>
/// Progress of long CLI work. On a terminal: Spectre.Console progress bars, one per phase, cleared
/// when done. Otherwise (CI logs, pipes, tests): one plain line per step on stderr, so stdout stays
/// exactly the command's output.
/// </summary>
public sealed class ProgressDisplay
{
    private readonly IOContext io;
    private readonly string command;
    private readonly Dictionary<string, ProgressTask> bars = new(StringComparer.Ordinal);
    private ProgressContext? context;

    private ProgressDisplay(IOContext io, string command)
    {
        this.io = io;
        this.command = command;
    }

    /// <summary>Runs <paramref name="work"/>, giving it a way to report "phase: detail, done of total".</summary>
    public static T Run<T>(IOContext io, string command, Func<ProgressDisplay, T> work)
    {
        var display = new ProgressDisplay(io, command);
        if (!io.Interactive)
        {
            return work(display);
        }

        return AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                display.context = ctx;
                return work(display);
            });
    }

    public void Report(string phase, string detail, int done, int total)
    {
        if (context is null)
        {
            io.Error.WriteLine(total > 0
                ? $"{command}: {phase} {detail} ({Math.Min(done + 1, total)} of {total})".Replace("  ", " ", StringComparison.Ordinal)
                : $"{command}: {phase} {detail}".TrimEnd());
            return;
        }

        if (!bars.TryGetValue(phase, out var bar))
        {
            bar = context.AddTask(phase, maxValue: Math.Max(1, total));
            bars[phase] = bar;
        }

        bar.Description = Markup.Escape($"{phase} {detail}".TrimEnd());
        bar.MaxValue = Math.Max(1, total);
        bar.Value = done;
    }

    /// <summary>Marks every bar complete (the work is over).</summary>
    public void Complete()
    {
        foreach (var bar in bars.Values)
        {
            bar.Value = bar.MaxValue;
        }
    }
}
