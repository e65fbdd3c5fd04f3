using System.Globalization;
using System.Text;
using Reconcile.Compiler.Model;
using Spectre.Console;

namespace Reconcile.Cli.Status;

/// <summary>
/// `reconcile status` as text: a table of runs (a drawn table on a terminal, plain aligned columns
/// otherwise, for scripts and logs), then per run a bar per stage with planned against actual times and
/// how far behind or ahead it is, the ETA and the next window, in the plan's window time zone (UTC on request).
/// </summary>
public static class StatusText
{
    public static void Write(IOContext io, IReadOnlyList<RunSummary> runs, bool utc)
    {
        string[] header = ["RUN", "PLAN", "REVISION", "PROGRESS", "RUNNING", "FAILED", "READY", "STALLED", "SUSPENDED", "ETA"];
        var rows = runs.Select(r => new[]
        {
            r.Name, r.Plan, r.Revision is { Length: > 12 } revision ? revision[..12] : r.Revision ?? "-", $"{r.Done}/{r.Steps}",
            Number(r.Running), Number(r.Failed), r.Ready, r.Stalled, r.Suspended, At(r.Eta, Zone(r, utc)),
        }).ToList();
        if (io.Interactive)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(io.Out) });
            var table = new Table().AddColumns(header);
            foreach (var row in rows)
            {
                table.AddRow(row.Select(Markup.Escape).ToArray());
            }

            console.Write(table);
        }
        else
        {
            Columns(io.Out, [header, .. rows]);
        }

        foreach (var run in runs)
        {
            var zone = Zone(run, utc);
            io.Out.WriteLine();
            io.Out.WriteLine($"{run.Name}: stages (times {(utc ? "UTC" : run.TimeZone)})");
            var width = run.Stages.Select(s => s.Name.Length).DefaultIfEmpty(0).Max();
            foreach (var stage in run.Stages)
            {
                const int Bar = 20;
                var filled = stage.Steps == 0 ? Bar : stage.Done * Bar / stage.Steps;
                var line = new StringBuilder($"  {stage.Name.PadRight(width)} [{new string('#', filled)}{new string('.', Bar - filled)}] {stage.Done}/{stage.Steps} steps");
                line.Append(stage.Running > 0 ? $", {stage.Running} running" : "").Append(stage.Failed > 0 ? $", {stage.Failed} failed" : "");
                if (stage.PlannedStart is { } start && stage.PlannedEnd is { } end)
                {
                    line.Append($"  planned {At(start, zone)} .. {At(end, zone)}");
                }

                line.Append(stage.ActualStart is { } started ? $"  started {At(started, zone)}" : "");
                line.Append(stage.ActualEnd is { } ended ? $"  ended {At(ended, zone)}" : "");
                line.Append(stage.Behind is { } behind ? $"  {Lag(behind)}" : "");
                io.Out.WriteLine(line.ToString());
            }

            if (run.Eta is { } eta)
            {
                io.Out.WriteLine($"  ETA {At(eta, zone)}{(run.PlannedEnd is { } planned ? $" (planned {At(planned, zone)}{(run.Behind is { } late ? ", " + Lag(late) : "")})" : "")}");
            }

            if (run.NextWindow is { } window)
            {
                io.Out.WriteLine($"  next window opens {At(window, zone)}");
            }

            foreach (var (id, message) in run.Problems)
            {
                io.Out.WriteLine($"  {id}: {message}");
            }
        }
    }

    private static TimeZoneInfo Zone(RunSummary run, bool utc) =>
        utc ? TimeZoneInfo.Utc : TimeZoneInfo.TryFindSystemTimeZoneById(run.TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;

    private static string At(DateTime? utc, TimeZoneInfo zone) => utc is { } time
        ? TimeZoneInfo.ConvertTime(new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)), zone).ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture)
        : "-";

    private static string Lag(TimeSpan lag) =>
        Math.Abs(lag.TotalSeconds) < 60 ? "on time" : $"{Quantities.FormatDuration(lag.Duration())} {(lag > TimeSpan.Zero ? "behind" : "ahead")}";

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>kubectl's plain output: each column as wide as its widest cell, three spaces apart.</summary>
    private static void Columns(TextWriter output, IReadOnlyList<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("   ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }
    }
}
