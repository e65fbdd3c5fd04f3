using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>
/// Seed S30, windows: cron expressions parse (RC4001) and fire (RC4002), deny windows end after they
/// start (RC4005), every move has an allow window on both its clusters (RC4007) with time left after
/// the deny windows (RC4004), and every VM's predicted migration fits in some occurrence (RC4006).
/// The anchored checks need spec.notBefore; without it RC4008 says they were skipped.
/// </summary>
public sealed class WindowRule : IPlanRule
{
    // Reference for "does it fire at all" when the plan has no anchor: any date works, since the
    // check scans the 28-year cycle after it.
    private static readonly DateTime CalendarReference = new(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        var plan = scope.Plan;
        var windows = plan.Windows;
        var reference = plan.NotBefore?.UtcDateTime ?? CalendarReference;
        foreach (var allow in windows.Allow)
        {
            CheckCron(allow.Cron, allow.Source, reference, diagnostics);
        }

        foreach (var deny in windows.Deny)
        {
            if (deny.Cron is { } cron)
            {
                CheckCron(cron, deny.Source, reference, diagnostics);
            }

            if (deny is { Start: { } start, End: { } end } && end <= start)
            {
                diagnostics.Write(DiagnosticCatalog.DenyEndsBeforeStart.At(deny.Source.At("end"),
                    $"deny window '{deny.Name}' ends at {end:yyyy-MM-ddTHH:mm:sszzz}, not after its start {start:yyyy-MM-ddTHH:mm:sszzz}"));
            }
        }

        // The anchored checks need every window usable; a broken one is already reported.
        var brokenWindow = windows.Allow.Any(a => a.TimeZone is null || WindowCalendar.TryParse(a.Cron, out _) is null) ||
                           windows.Deny.Any(d => d.TimeZone is null || d.Cron is { } c && WindowCalendar.TryParse(c, out _) is null);
        if (windows.Allow.IsEmpty || scope.Topology is null || brokenWindow)
        {
            return;
        }

        if (plan.NotBefore is not { } notBefore)
        {
            // A notBefore that was written but is not a real date is reported as RC1020 already.
            if (plan.Source.Child("spec").Has("notBefore"))
            {
                return;
            }

            diagnostics.Write(DiagnosticCatalog.WindowChecksNeedAnchor.At(windows.Source.Location,
                "without spec.notBefore, Reconcile cannot check that the deny windows leave time or that each VM fits a window"));
            return;
        }

        var checkedPairs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var move in plan.Moves)
        {
            var (from, to) = MigrationEstimator.CutoverHop(move);
            if (scope.Cluster(from) is null || scope.Cluster(to) is null)
            {
                continue;
            }

            var pair = from == to ? new[] { from } : [from, to];
            if (!windows.Allow.Any(a => pair.All(a.AppliesTo)))
            {
                diagnostics.Write(DiagnosticCatalog.NoWindowForMove.At(move.Source.At("to"),
                    $"no allow window applies to both {string.Join(" and ", pair.Distinct())}, so move '{move.Name}' can never start"));
                continue;
            }

            var occurrences = WindowCalendar.Expand(windows, pair, notBefore.UtcDateTime, plan.Horizon);
            if (occurrences.Count == 0)
            {
                if (checkedPairs.Add(string.Join("~", pair)))
                {
                    var at = windows.Deny.IsEmpty ? windows.Source.KeyOf("allow") : windows.Source.KeyOf("deny");
                    diagnostics.Write(DiagnosticCatalog.NoAllowedTime.At(at,
                        $"no allow window for {string.Join(" and ", pair.Distinct())} is left between {notBefore:yyyy-MM-ddTHH:mm}Z+horizon {Quantities.FormatDuration(plan.Horizon)} once deny windows are cut out (move '{move.Name}')"));
                }

                continue;
            }

            CheckFit(scope, move, occurrences, diagnostics);
        }
    }

    private static void CheckCron(string cron, Located source, DateTime reference, IDiagnosticWriter diagnostics)
    {
        var expression = WindowCalendar.TryParse(cron, out var error);
        if (expression is null)
        {
            diagnostics.Write(DiagnosticCatalog.InvalidCron.At(source.At("cron"), $"cron expression \"{cron}\" is not valid: {error}"));
        }
        else if (!WindowCalendar.FiresAtAll(expression, reference))
        {
            diagnostics.Write(DiagnosticCatalog.CronNeverFires.At(source.At("cron"), $"cron expression \"{cron}\" never fires"));
        }
    }

    private static void CheckFit(PlanScope scope, Move move, IReadOnlyList<WindowOccurrence> occurrences, IDiagnosticWriter diagnostics)
    {
        var longest = occurrences.MaxBy(o => o.Length)!;
        foreach (var vm in scope.VmsOf(move))
        {
            var estimate = MigrationEstimator.Cutover(scope, vm, move);
            if (estimate.Converges && double.IsFinite(estimate.Seconds) && estimate.Seconds > longest.Length.TotalSeconds)
            {
                diagnostics.Write(DiagnosticCatalog.VmExceedsWindow.At(vm.Source.At("memory"),
                    $"VM {vm.Id} (move '{move.Name}') is predicted to take {Quantities.FormatSeconds(estimate.Seconds)}, longer than the longest window it may use ('{longest.Name}', {Quantities.FormatDuration(longest.Length)})"));
                continue;
            }

            // A staged move whose disks may replicate only inside windows: the initial sync must fit one too.
            if (scope.ModeOf(move) == MoveMode.Staged && !scope.LandsLive(move) && !scope.Plan.Strategy.ReplicateOutsideWindows)
            {
                var (from, to) = MigrationEstimator.CutoverHop(move);
                var sync = MigrationEstimator.Copy(MigrationEstimator.DiskBytes(vm, from, to), MigrationEstimator.HopBytesPerSecond(scope, from, to));
                if (double.IsFinite(sync.Seconds) && sync.Seconds > longest.Length.TotalSeconds)
                {
                    diagnostics.Write(DiagnosticCatalog.VmExceedsWindow.At(vm.Source.At("memory"),
                        $"VM {vm.Id} (move '{move.Name}'): the initial replication of its disks is predicted to take {Quantities.FormatSeconds(sync.Seconds)}, longer than the longest window it may use ('{longest.Name}', {Quantities.FormatDuration(longest.Length)}), and replicateOutsideWindows is false"));
                }
            }
        }
    }
}
