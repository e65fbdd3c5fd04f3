using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;

namespace Reconcile.Compiler.Reporting;

/// <summary>The report's tables: stages (with columns a live status fills), every migration, diagnostics.</summary>
public static partial class ReportWriter
{
    private static void StageTable(ExecutionGraph graph, ReportClock clock, TextWriter html)
    {
        var steps = graph.Steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        html.Write("<h2>Stages</h2>\n<table class=\"stages\">\n<thead><tr><th>stage</th><th>name</th><th>window</th><th>migrations</th><th>start</th><th>end</th><th>after</th>");
        html.Write("<th class=\"live\">done</th><th class=\"live\">actual start</th><th class=\"live\">actual end</th><th class=\"live\">behind</th></tr></thead>\n<tbody>\n");
        foreach (var stage in graph.Stages)
        {
            var own = stage.Steps.Select(id => steps[id]).ToList();
            var first = own.Count == 0 ? "" : clock.Format(own.Min(s => s.PlannedStart));
            var last = own.Count == 0 ? "" : clock.Format(own.Max(s => s.PlannedEnd));
            html.Write($"<tr data-stage=\"{E(stage.Id)}\"><td>{E(stage.Id)}</td><td>{E(stage.Name)}</td><td>{E(stage.Window ?? "")}</td><td>{own.Count(s => s.Kind == StepKind.Migrate)}</td>");
            html.Write($"<td>{first}</td><td>{last}</td><td>{E(string.Join(", ", stage.DependsOn))}</td>");
            html.Write("<td class=\"live\"></td><td class=\"live\"></td><td class=\"live\"></td><td class=\"live\"></td></tr>\n");
        }

        html.Write("</tbody>\n</table>\n");
    }

    /// <summary>Every migration with what the plan predicts for it, in start order (a VM moved twice, staged through a cluster, has two rows).</summary>
    private static void MigrationTable(ExecutionGraph graph, ReportClock clock, TextWriter html)
    {
        var migrations = graph.Steps.Where(s => s.Kind == StepKind.Migrate).OrderBy(s => s.PlannedStart).ThenBy(s => s.Id, StringComparer.Ordinal).ToList();
        html.Write($"<h2>Migrations ({migrations.Count})</h2>\n<table class=\"migrations\">\n<thead><tr><th>VM</th><th>from</th><th>to</th><th>stage</th>");
        html.Write("<th>start</th><th>end</th><th>duration</th><th>downtime</th><th>bytes</th><th>rounds</th></tr></thead>\n<tbody>\n");
        foreach (var step in migrations)
        {
            var p = step.Predicted;
            html.Write($"<tr data-step=\"{E(step.Id)}\"><td>{E(step.Vm)}</td><td>{E(Where(step.From))}</td><td>{E(Where(step.To))}</td><td>{E(step.Stage)}</td>");
            html.Write($"<td>{clock.Format(step.PlannedStart)}</td><td>{clock.Format(step.PlannedEnd)}</td><td>{Duration(p.Seconds)}</td>");
            html.Write($"<td class=\"num\">{Quantities.FormatDuration(TimeSpan.FromMilliseconds(p.DowntimeMs))}</td><td class=\"num\">{Quantities.FormatBytes(p.Bytes)}</td><td class=\"num\">{p.Rounds}{(p.Converges ? "" : " (does not converge)")}</td></tr>\n");
        }

        html.Write("</tbody>\n</table>\n");
    }

    private static string Where(Endpoint? endpoint) => endpoint is null ? "" : endpoint.Node is { } node ? $"{endpoint.Cluster}/{node}" : endpoint.Cluster;

    private static void DiagnosticTable(IReadOnlyList<Diagnostic> diagnostics, TextWriter html)
    {
        if (diagnostics.Count == 0)
        {
            html.Write("<h2>Diagnostics</h2>\n<p>None.</p>\n");
            return;
        }

        html.Write("<h2>Diagnostics</h2>\n<table class=\"diagnostics\">\n<thead><tr><th>severity</th><th>code</th><th>where</th><th>message</th><th>hint</th></tr></thead>\n<tbody>\n");
        foreach (var d in diagnostics)
        {
            html.Write($"<tr class=\"{d.Severity.ToString().ToLowerInvariant()}\"><td>{d.Severity.ToString().ToLowerInvariant()}</td><td>{E(d.Code)}</td><td>{E(d.Location.ToString())}</td><td>{E(d.Message)}</td><td>{E(d.Hint)}</td></tr>\n");
        }

        html.Write("</tbody>\n</table>\n");
    }
}
