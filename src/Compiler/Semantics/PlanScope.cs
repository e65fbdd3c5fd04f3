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
    // Records compare by value, which is deep and slow for VMs; identity is what these lookups mean.
    private readonly Dictionary<Vm, Move> owners = Assignments.ToDictionary(a => a.Vm, a => a.Move, new IdentityComparer<Vm>());
    private readonly ILookup<Move, Vm> byMove = Assignments.ToLookup(a => a.Move, a => a.Vm, new IdentityComparer<Move>());

    public Cluster? Cluster(string name) => Topology?.FindCluster(name);

    public IEnumerable<Vm> VmsOf(Move move) => byMove[move];

    /// <summary>The move that takes <paramref name="vm"/>, or null when no move selects it.</summary>
    public Move? OwnerOf(Vm vm) => owners.GetValueOrDefault(vm);

    public MoveMode ModeOf(Move move) => move.Mode ?? Plan.Strategy.Mode;

    /// <summary>
    /// The hops of a move made by live migration: every hop of a Live move; of a Cold move, and of a Staged
    /// move that crosses clusters, all but the landing hop, since its cut-over stops the VM and boots it
    /// afresh on the target (S28). A Staged move inside one cluster is a live migration.
    /// </summary>
    public IEnumerable<(string From, string To)> LiveHops(Move move) => ModeOf(move) switch
    {
        MoveMode.Live => move.Hops,
        MoveMode.Staged when move.IsInCluster && move.Via is null => move.Hops,
        _ => move.Via is { } via ? [(move.From, via)] : [],
    };

    /// <summary>Whether the hop that lands on the move's target is a live migration.</summary>
    public bool LandsLive(Move move) => LiveHops(move).Any(h => h.To == move.To);

    /// <summary>The clusters each cluster exchanges live migrations with, across clusters, for the VMs this plan moves.</summary>
    public IReadOnlyDictionary<string, SortedSet<string>> LivePeers()
    {
        var peers = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (from, to) in Plan.Moves.Where(m => VmsOf(m).Any()).SelectMany(LiveHops).Where(h => h.From != h.To))
        {
            (peers.TryGetValue(from, out var a) ? a : peers[from] = new SortedSet<string>(StringComparer.Ordinal)).Add(to);
            (peers.TryGetValue(to, out var b) ? b : peers[to] = new SortedSet<string>(StringComparer.Ordinal)).Add(from);
        }

        return peers;
    }

    /// <summary>
    /// A VM belongs to a move when it runs on the move's source cluster and matches its selector.
    /// A VM matched by two moves goes to the first (and RC2010 reports it).
    /// </summary>
    public static PlanScope Create(MigrationPlan plan, PlanSet set)
    {
        var topology = TopologyOf(plan, set);
        var inventories = InventoriesOf(plan, set);
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

    /// <summary>The topology the plan names.</summary>
    public static Topology? TopologyOf(MigrationPlan plan, PlanSet set) => set.Topologies.FirstOrDefault(t => t.Name == plan.Topology);

    /// <summary>The inventories the plan reads: those it names, or every one when it names none.</summary>
    public static ImmutableArray<Inventory> InventoriesOf(MigrationPlan plan, PlanSet set) => plan.Inventories is { } names
        ? set.Inventories.Where(i => names.Contains(i.Name)).ToImmutableArray()
        : set.Inventories;
}

/// <summary>Compares records by identity, not by value.</summary>
internal sealed class IdentityComparer<T> : IEqualityComparer<T>
    where T : class
{
    public bool Equals(T? x, T? y) => ReferenceEquals(x, y);

    public int GetHashCode(T obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
}
