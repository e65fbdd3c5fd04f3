using System.Globalization;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>
/// Seed S4: pre-copy converges only while the guest dirties memory slower than the link sends it.
/// RC5002 when it never can (even with auto-converge's deepest throttle, unless post-copy is
/// allowed); RC5003 when the dirty rate is above 80% of the bandwidth and nothing helps.
/// </summary>
public sealed class ConvergenceRule : IPlanRule
{
    public const double SlowRatio = 0.8;

    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        var strategy = scope.Plan.Strategy;
        foreach (var (vm, move) in scope.Assignments)
        {
            var (from, to) = MigrationEstimator.CutoverHop(move);
            if (!scope.LandsLive(move) || scope.Cluster(from) is null || scope.Cluster(to) is null)
            {
                continue;
            }

            // What the memory stream gets: its connections over the path, capped by the migration's bandwidth.
            var bandwidth = MigrationEstimator.MemoryBytesPerSecond(scope, vm, from, to, MigrationEstimator.HopBytesPerSecond(scope, from, to));
            if (bandwidth <= 0 || from != to && scope.Topology!.FindLink(from, to) is null)
            {
                continue;
            }

            var ratio = PreCopyModel.DirtyRatio(vm.DirtyBytesPerSecond, bandwidth);
            var rescued = strategy.AllowPostCopy || strategy.AllowAutoConverge && vm.DirtyBytesPerSecond * 0.01 < bandwidth;
            var numbers = $"dirty rate {Quantities.FormatBytes(vm.DirtyBytesPerSecond)}/s vs {Quantities.FormatBytes((long)bandwidth)}/s of bandwidth on {from}->{to}, ratio {ratio.ToString("0.00", CultureInfo.InvariantCulture)}";
            if (ratio >= 1 && !rescued)
            {
                diagnostics.Write(DiagnosticCatalog.PrecopyNeverConverges.At(vm.Source.At("dirtyRate"),
                    $"VM {vm.Id} (move '{move.Name}') can never finish pre-copy: {numbers}"));
            }
            else if (ratio >= SlowRatio && ratio < 1 && !strategy.AllowAutoConverge && !strategy.AllowPostCopy)
            {
                diagnostics.Write(DiagnosticCatalog.PrecopySlow.At(vm.Source.At("dirtyRate"),
                    $"VM {vm.Id} (move '{move.Name}') will need many pre-copy rounds: {numbers}"));
            }
        }
    }
}
