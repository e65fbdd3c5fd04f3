using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>
/// KubeVirt's two migration timeouts (S23), checked on the bandwidth a migration has to itself:
/// RC5010 when the predicted time exceeds completionTimeoutPerGiB × (memory + disks) and nothing
/// lets KubeVirt finish it another way; RC5011 where KubeVirt would see no progress for
/// progressTimeout: its data remaining does not fall between two 400 ms samples
/// (migrationMonitor.processInflightMigration, v1.6.2 pkg/virt-launcher/virtwrap/live-migration-source.go),
/// which happens when a disk is written as fast as its mirror connection carries, or pre-copy rounds
/// shorter than a sample stop shrinking. The planner repeats the check with each migration's planned share.
/// </summary>
public sealed class TimeoutRule : IPlanRule
{
    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        foreach (var (vm, move) in scope.Assignments)
        {
            var (from, to) = MigrationEstimator.CutoverHop(move);
            // Only a live landing is a KubeVirt migration with its timeouts (a cold or staged cut-over is not).
            if (!scope.LandsLive(move) || scope.Cluster(from) is null || scope.Cluster(to) is null ||
                from != to && scope.Topology!.FindLink(from, to) is null)
            {
                continue;
            }

            var bandwidth = MigrationEstimator.HopBytesPerSecond(scope, from, to);
            var disk = MigrationEstimator.DiskBytes(vm, from, to);
            var prediction = MigrationEstimator.Migration(scope, vm, from, to, bandwidth, disk);
            foreach (var diagnostic in Check(scope, vm, move, prediction, disk, bandwidth))
            {
                diagnostics.Write(diagnostic);
            }
        }
    }

    /// <summary>The timeout diagnostics for one predicted migration (shared with the scheduler).</summary>
    public static IEnumerable<Diagnostic> Check(PlanScope scope, Vm vm, Move move, MigrationPrediction prediction, double diskBytes, double bytesPerSecond)
    {
        var strategy = scope.Plan.Strategy;
        var (from, to) = MigrationEstimator.CutoverHop(move);
        if (diskBytes > 0 && MigrationEstimator.UndrainableDisk(scope, vm, from, to, bytesPerSecond) is var (volume, connection))
        {
            // Post-copy and auto-converge act on memory, which waits until the mirror is done: nothing helps.
            yield return DiagnosticCatalog.ProgressTimeout.At(volume.Source.At("writeRate"),
                $"VM {vm.Id} (move '{move.Name}'): disk {volume.Name} is written at {Quantities.FormatBytes(volume.WriteBytesPerSecond)}/s and its mirror connection carries {Quantities.FormatBytes((long)connection)}/s, " +
                $"so the data remaining never falls and KubeVirt aborts the migration after progressTimeout {Quantities.FormatDuration(strategy.ProgressTimeout)}");
            yield break;
        }

        if (!prediction.Converges)
        {
            yield break; // RC5002 covers it
        }

        // KubeVirt's clocks start once the target is ready.
        var migrating = prediction.Seconds - Facts.MigrationPhases.TargetStart.TotalSeconds;
        var deadline = MigrationEstimator.CompletionDeadlineSeconds(scope, vm, diskBytes);
        if (migrating > deadline && !strategy.AllowPostCopy && !strategy.AllowWorkloadDisruption)
        {
            yield return DiagnosticCatalog.CompletionTimeout.At(vm.Source.At("memory"),
                $"VM {vm.Id} (move '{move.Name}') is predicted to migrate for {Quantities.FormatSeconds(migrating)} at {Quantities.FormatBytes((long)bytesPerSecond)}/s; KubeVirt aborts it after {Quantities.FormatSeconds(deadline)} (completionTimeoutPerGiB {Quantities.FormatDuration(strategy.CompletionTimeoutPerGiB)})");
        }

        if (prediction.StallSeconds > strategy.ProgressTimeout.TotalSeconds && !strategy.AllowPostCopy)
        {
            yield return DiagnosticCatalog.ProgressTimeout.At(vm.Source.At("dirtyRate"),
                $"VM {vm.Id} (move '{move.Name}') makes no pre-copy progress for {Quantities.FormatSeconds(prediction.StallSeconds)}, longer than progressTimeout {Quantities.FormatDuration(strategy.ProgressTimeout)}");
        }
    }
}
