using System.Collections.Immutable;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Semantics;

/// <summary>One MigrationPlan with what it refers to resolved: its topology, inventories, and which move takes which VM.</summary>
public sealed record PlanScope(
    MigrationPlan Plan,
    Topology? Topology,
    ImmutableArray<Inventory> Inventories,
    ImmutableArray<Vm> Vms,
    ImmutableArray<(Vm Vm, Move Move)> Assignments)
{
    public Cluster? Cluster(string name) => Topology?.FindCluster(name);

    public IEnumerable<Vm> VmsOf(Move move) => Assignments.Where(a => a.Move == move).Select(a => a.Vm);

    public MoveMode ModeOf(Move move) => move.Mode ?? Plan.Strategy.Mode;

    /// <summary>
    /// A VM belongs to a move when it runs on the move's source cluster and matches its selector.
    /// A VM matched by two moves goes to the first (and RC2010 reports it).
    /// </summary>
    public static PlanScope Create(MigrationPlan plan, PlanSet set)
    {
        var topology = set.Topologies.FirstOrDefault(t => t.Name == plan.Topology);
        var inventories = plan.Inventories is { } names
            ? set.Inventories.Where(i => names.Contains(i.Name)).ToImmutableArray()
            : set.Inventories;
        var vms = inventories.SelectMany(i => i.Vms).ToImmutableArray();
        var assignments = ImmutableArray.CreateBuilder<(Vm, Move)>();
        foreach (var vm in vms)
        {
            if (plan.Moves.FirstOrDefault(m => m.From == vm.Cluster && m.Select.Matches(vm)) is { } move)
            {
                assignments.Add((vm, move));
            }
        }

        return new PlanScope(plan, topology, inventories, vms, assignments.ToImmutable());
    }
}
