using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>
/// RC2002-RC2008 and RC2014 for a plan: its topology and inventories exist, every cluster, node and
/// storage class it names exists, names in its lists are unique, and `after` forms no cycle.
/// </summary>
public sealed class PlanReferencesRule(bool inputsIncomplete) : IPlanRule
{
    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        var plan = scope.Plan;
        var spec = plan.Source.Child("spec");

        // A document that failed to load may be the one referred to: stay quiet rather than mislead.
        if (scope.Topology is null && !inputsIncomplete)
        {
            diagnostics.Write(DiagnosticCatalog.UnknownTopology.At(spec.At("topology"), $"Topology '{plan.Topology}' is not defined in the given paths"));
        }

        if (plan.Inventories is { } wanted && !inputsIncomplete)
        {
            for (var i = 0; i < wanted.Length; i++)
            {
                if (scope.Inventories.All(inv => inv.Name != wanted[i]))
                {
                    diagnostics.Write(DiagnosticCatalog.UnknownInventory.At(spec.At("inventories", i), $"Inventory '{wanted[i]}' is not defined in the given paths"));
                }
            }
        }

        DuplicateNames.Report(plan.Moves, m => m.Name, m => m.Source, "move", diagnostics);
        DuplicateNames.Report(plan.Priorities, p => p.Name, p => p.Source, "priority class", diagnostics);
        DuplicateNames.Report(plan.Groups, g => g.Name, g => g.Source, "group", diagnostics);
        DuplicateNames.Report(plan.Windows.Allow, w => w.Name, w => w.Source, "allow window", diagnostics);
        DuplicateNames.Report(plan.Windows.Deny, w => w.Name, w => w.Source, "deny window", diagnostics);
        DuplicateNames.Report(scope.Vms, v => v.Id, v => v.Source, "VM", diagnostics);

        if (scope.Topology is { } topology)
        {
            CheckClusters(scope, topology, diagnostics);
            CheckInventories(scope, topology, diagnostics);
        }

        CheckAfter(plan, diagnostics);
    }

    private static void CheckClusters(PlanScope scope, Topology topology, IDiagnosticWriter diagnostics)
    {
        foreach (var move in scope.Plan.Moves)
        {
            TopologyConsistencyRule.RequireCluster(topology, move.From, move.Source.At("from"), diagnostics);
            TopologyConsistencyRule.RequireCluster(topology, move.To, move.Source.At("to"), diagnostics);
            if (move.Via is { } via)
            {
                TopologyConsistencyRule.RequireCluster(topology, via, move.Source.At("via"), diagnostics);
            }

            if (move.TargetStorageClass is { } storageClass && topology.FindCluster(move.To) is { } target && target.FindStorageClass(storageClass) is null)
            {
                diagnostics.Write(DiagnosticCatalog.UnknownStorageClass.At(move.Source.At("targetStorageClass"),
                    $"storage class '{storageClass}' is not declared on target cluster {target.Name}"));
            }
        }

        foreach (var window in scope.Plan.Windows.Allow)
        {
            for (var i = 0; i < window.Clusters.Length; i++)
            {
                TopologyConsistencyRule.RequireCluster(topology, window.Clusters[i], window.Source.At("clusters", i), diagnostics);
            }
        }

        foreach (var window in scope.Plan.Windows.Deny)
        {
            for (var i = 0; i < window.Clusters.Length; i++)
            {
                TopologyConsistencyRule.RequireCluster(topology, window.Clusters[i], window.Source.At("clusters", i), diagnostics);
            }
        }
    }

    private static void CheckInventories(PlanScope scope, Topology topology, IDiagnosticWriter diagnostics)
    {
        foreach (var inventory in scope.Inventories)
        {
            var cluster = topology.FindCluster(inventory.Cluster);
            if (cluster is null)
            {
                TopologyConsistencyRule.RequireCluster(topology, inventory.Cluster, inventory.Source.Child("spec").At("cluster"), diagnostics);
                continue;
            }

            foreach (var vm in inventory.Vms)
            {
                if (cluster.FindNode(vm.Node) is null)
                {
                    diagnostics.Write(DiagnosticCatalog.UnknownNode.At(vm.Source.At("node"),
                        $"VM {vm.Id} runs on node '{vm.Node}', which cluster {cluster.Name} does not declare"));
                }

                foreach (var volume in vm.Volumes)
                {
                    if (volume.StorageClass is { } name && cluster.FindStorageClass(name) is null)
                    {
                        diagnostics.Write(DiagnosticCatalog.UnknownStorageClass.At(volume.Source.At("storageClass"),
                            $"volume {volume.Name} of VM {vm.Id} uses storage class '{name}', which cluster {cluster.Name} does not declare"));
                    }
                }
            }
        }
    }

    private static void CheckAfter(MigrationPlan plan, IDiagnosticWriter diagnostics)
    {
        var byName = plan.Moves.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var move in plan.Moves)
        {
            for (var i = 0; i < move.After.Length; i++)
            {
                if (!byName.ContainsKey(move.After[i]))
                {
                    diagnostics.Write(DiagnosticCatalog.UnknownMove.At(move.Source.At("after", i),
                        $"move '{move.Name}' waits for '{move.After[i]}', which is not a move of plan {plan.Name}"));
                }
            }
        }

        // Depth-first search; each cycle is reported once, at the `after` entry that closes it.
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var move in plan.Moves.OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            Visit(move, [], byName, state, diagnostics);
        }
    }

    private static void Visit(Move move, List<string> path, Dictionary<string, Move> byName, Dictionary<string, int> state, IDiagnosticWriter diagnostics)
    {
        if (state.GetValueOrDefault(move.Name) == 2)
        {
            return;
        }

        state[move.Name] = 1;
        path.Add(move.Name);
        for (var i = 0; i < move.After.Length; i++)
        {
            if (!byName.TryGetValue(move.After[i], out var next))
            {
                continue;
            }

            if (state.GetValueOrDefault(next.Name) == 1)
            {
                var cycle = path.Skip(path.IndexOf(next.Name)).Append(next.Name);
                diagnostics.Write(DiagnosticCatalog.DependencyCycle.At(move.Source.At("after", i),
                    $"moves wait for each other in a cycle: {string.Join(" -> ", cycle)} (each waits for the next)"));
            }
            else
            {
                Visit(next, path, byName, state, diagnostics);
            }
        }

        path.RemoveAt(path.Count - 1);
        state[move.Name] = 2;
    }
}
