using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>
/// Capacity over the whole campaign (seed S11, S23, S25): when every move is done, the VMs on a set of
/// target nodes — those that stay there and those the plan sends there, each to the nodes it may land
/// on (Placement) — must fit that set's declared memory, hugepages and CPUs for dedicated placement.
/// Checked for every set of nodes some arriving VM is confined to (a necessary condition for packing
/// them), in plan order, and reported at the move whose VMs no longer fit (RC3026).
/// </summary>
public sealed class CapacityRule : IPlanRule
{
    private enum Resource
    {
        Memory,
        Hugepages,
        DedicatedCpus,
    }

    private sealed record Arrival(Vm Vm, Move Move, HashSet<string> Nodes);

    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        if (scope.Topology is null)
        {
            return;
        }

        var moving = scope.Assignments.Select(a => a.Vm).ToHashSet(new IdentityComparer<Vm>());
        var moveOrder = scope.Plan.Moves.Select((m, i) => (m, i)).ToDictionary(p => p.m, p => p.i);
        var arrivals = new Dictionary<string, List<Arrival>>(StringComparer.Ordinal);
        foreach (var (vm, move) in scope.Assignments.OrderBy(a => moveOrder.GetValueOrDefault(a.Move)).ThenBy(a => a.Vm.Id, StringComparer.Ordinal))
        {
            if (scope.Cluster(move.To) is not { } target)
            {
                continue;
            }

            // A VM no single node can hold is RC3012's; here only VMs some node fits on their own.
            var live = scope.LiveHops(move).Any(h => h.To == move.To);
            var nodes = Placement.Candidates(scope, vm, move, target, live)
                .Where(n => n.MemoryBytes is not { } memory || memory >= vm.MemoryBytes)
                .Where(n => vm.HugepagesBytes is null || n.HugepagesBytes is not { } pages || pages >= vm.MemoryBytes)
                .Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
            if (nodes.Count > 0)
            {
                (arrivals.TryGetValue(target.Name, out var list) ? list : arrivals[target.Name] = []).Add(new Arrival(vm, move, nodes));
            }
        }

        var reported = new HashSet<(string, Resource)>();
        foreach (var (clusterName, list) in arrivals.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            var cluster = scope.Cluster(clusterName)!;
            var staying = scope.Vms.Where(v => v.Cluster == clusterName && !moving.Contains(v)).ToList();
            foreach (var confinement in list.Select(a => a.Nodes).Distinct(HashSet<string>.CreateSetComparer()).ToList())
            {
                foreach (var resource in Enum.GetValues<Resource>())
                {
                    if (reported.Contains((clusterName, resource)) || Capacity(cluster, confinement, resource) is not { } capacity)
                    {
                        continue;
                    }

                    var demand = staying.Where(v => confinement.Contains(v.Node)).Sum(v => Demand(v, resource));
                    foreach (var arrival in list.Where(a => a.Nodes.IsSubsetOf(confinement)))
                    {
                        demand += Demand(arrival.Vm, resource);
                        if (demand > capacity)
                        {
                            reported.Add((clusterName, resource));
                            diagnostics.Write(DiagnosticCatalog.ClusterCapacityExceeded.At(arrival.Move.Source.At("to"),
                                $"with move '{arrival.Move.Name}' (VM {arrival.Vm.Id}) the VMs bound for nodes {string.Join(", ", confinement.Order(StringComparer.Ordinal))} of {clusterName} need {Format(demand, resource)}, and those nodes have {Format(capacity, resource)}"));
                            break;
                        }
                    }
                }
            }
        }
    }

    /// <summary>What the nodes offer, or null when a node does not declare it (nothing to check against).</summary>
    private static double? Capacity(Cluster cluster, HashSet<string> nodes, Resource resource)
    {
        var declared = cluster.Nodes.Where(n => nodes.Contains(n.Name)).Select(n => resource switch
        {
            Resource.Memory => n.MemoryBytes,
            Resource.Hugepages => n.HugepagesBytes ?? (n.MemoryBytes is null ? null : 0),
            _ => n.Cpu,
        }).ToList();
        return declared.Count == 0 || declared.Any(d => d is null) ? null : declared.Sum(d => (double)d!.Value);
    }

    private static double Demand(Vm vm, Resource resource) => resource switch
    {
        Resource.Memory => vm.MemoryBytes,
        Resource.Hugepages => vm.HugepagesBytes is null ? 0 : vm.MemoryBytes,
        _ => vm.Cpu.Dedicated ? vm.Cpu.Cores ?? 1 : 0,
    };

    private static string Format(double value, Resource resource) => resource switch
    {
        Resource.Memory => $"{Quantities.FormatBytes((long)value)} of memory",
        Resource.Hugepages => $"{Quantities.FormatBytes((long)value)} of hugepages",
        _ => $"{value:0} dedicated CPUs",
    };
}
