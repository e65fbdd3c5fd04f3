using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>
/// Which VMs the moves, priorities and groups select: RC2010 (a VM in two moves), RC2011 (a move
/// with no VM), RC2012/RC2013 (explicit names that are unknown or on another cluster), RC2015
/// (priority or group matching nothing) and RC5009 (canary not smaller than the fleet).
/// </summary>
public sealed class SelectionRule(bool inputsIncomplete) : IPlanRule
{
    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        var plan = scope.Plan;
        foreach (var move in plan.Moves)
        {
            CheckNames(scope, move, diagnostics);
            var matched = scope.Vms.Where(vm => vm.Cluster == move.From && move.Select.Matches(vm)).ToList();
            if (matched.Count == 0 && scope.Topology is not null && !inputsIncomplete)
            {
                diagnostics.Write(DiagnosticCatalog.MoveSelectsNothing.At(move.Source.At("select"),
                    $"move '{move.Name}' selects no VM on cluster {move.From}"));
            }

            foreach (var vm in matched)
            {
                var owner = scope.OwnerOf(vm)!;
                if (!ReferenceEquals(owner, move))
                {
                    diagnostics.Write(DiagnosticCatalog.VmInTwoMoves.At(move.Source.At("select"),
                        $"VM {vm.Id} is selected by move '{owner.Name}' and again by move '{move.Name}'"));
                }
            }
        }

        var moved = scope.Assignments.Select(a => a.Vm).ToList();
        if (inputsIncomplete)
        {
            // VMs of documents that failed to load are missing; what selects nothing may select them.
            return;
        }

        foreach (var priority in plan.Priorities.Where(p => p.Select is not null))
        {
            if (!moved.Any(priority.Select!.Matches))
            {
                diagnostics.Write(DiagnosticCatalog.SelectorMatchesNothing.At(priority.Source.At("select"),
                    $"priority class '{priority.Name}' selects no VM that this plan moves"));
            }
        }

        foreach (var group in plan.Groups)
        {
            if (!moved.Any(group.Select.Matches))
            {
                diagnostics.Write(DiagnosticCatalog.SelectorMatchesNothing.At(group.Source.At("select"),
                    $"group '{group.Name}' selects no VM that this plan moves"));
            }
        }

        if (plan.Strategy.Canary > moved.Count && moved.Count > 0)
        {
            diagnostics.Write(DiagnosticCatalog.CanaryExceedsFleet.At(plan.Strategy.Source.At("canary"),
                $"canary is {plan.Strategy.Canary} but the plan moves only {moved.Count} VM{(moved.Count == 1 ? "" : "s")}"));
        }
    }

    private void CheckNames(PlanScope scope, Move move, IDiagnosticWriter diagnostics)
    {
        var names = move.Select.Names;
        for (var i = 0; i < names.Length; i++)
        {
            var vm = scope.Vms.FirstOrDefault(v => v.Id == names[i]);
            var at = move.Select.Source.At("names", i);
            if (vm is null && !inputsIncomplete)
            {
                diagnostics.Write(DiagnosticCatalog.UnknownVm.At(at, $"move '{move.Name}' names VM {names[i]}, which no inventory of the plan lists"));
            }
            else if (vm is not null && vm.Cluster != move.From)
            {
                diagnostics.Write(DiagnosticCatalog.VmNotOnSourceCluster.At(at,
                    $"VM {vm.Id} runs on cluster {vm.Cluster}, but move '{move.Name}' moves VMs from {move.From}"));
            }
        }
    }
}
