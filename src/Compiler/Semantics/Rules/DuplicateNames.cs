using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>Reports the second and later entries that reuse a name (RC2001 for documents, RC2002 inside lists).</summary>
internal static class DuplicateNames
{
    public static void Report<T>(IEnumerable<T> items, Func<T, string> name, Func<T, Located> where, string what, IDiagnosticWriter diagnostics, string field = "name")
    {
        var first = new Dictionary<string, Located>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var key = name(item);
            if (key.Length == 0)
            {
                continue;
            }

            if (first.TryGetValue(key, out var earlier))
            {
                diagnostics.Write(DiagnosticCatalog.DuplicateName.At(where(item).At(field),
                    $"{what} '{key}' is declared twice; the first is at {earlier.At(field)}"));
            }
            else
            {
                first[key] = where(item);
            }
        }
    }
}

/// <summary>RC2001: two documents of the same kind with the same name.</summary>
public sealed class DuplicateDocumentsRule : ISetRule
{
    public void Check(PlanSet set, IDiagnosticWriter diagnostics)
    {
        Report(set.Topologies.Select(t => (t.Name, t.Source)), "Topology", diagnostics);
        Report(set.Inventories.Select(i => (i.Name, i.Source)), "Inventory", diagnostics);
        Report(set.Plans.Select(p => (p.Name, p.Source)), "MigrationPlan", diagnostics);
    }

    private static void Report(IEnumerable<(string Name, Located Source)> documents, string kind, IDiagnosticWriter diagnostics)
    {
        var first = new Dictionary<string, Located>(StringComparer.Ordinal);
        foreach (var (name, source) in documents)
        {
            var at = source.Child("metadata").At("name");
            if (first.TryGetValue(name, out var earlier))
            {
                diagnostics.Write(DiagnosticCatalog.DuplicateDocument.At(at,
                    $"{kind} '{name}' is defined twice; the first is at {earlier.Child("metadata").At("name")}"));
            }
            else
            {
                first[name] = source;
            }
        }
    }
}

/// <summary>RC2002 and RC2005 inside a Topology: unique clusters, nodes, storage classes and links; links, sharedWith and replication name known clusters.</summary>
public sealed class TopologyConsistencyRule : ISetRule
{
    public void Check(PlanSet set, IDiagnosticWriter diagnostics)
    {
        foreach (var topology in set.Topologies)
        {
            DuplicateNames.Report(topology.Clusters, c => c.Name, c => c.Source, "cluster", diagnostics);
            foreach (var cluster in topology.Clusters)
            {
                DuplicateNames.Report(cluster.Nodes, n => n.Name, n => n.Source, $"node in cluster {cluster.Name}", diagnostics);
                DuplicateNames.Report(cluster.StorageClasses, s => s.Name, s => s.Source, $"storage class in cluster {cluster.Name}", diagnostics);
                foreach (var storageClass in cluster.StorageClasses)
                {
                    for (var i = 0; i < storageClass.SharedWith.Length; i++)
                    {
                        RequireCluster(topology, storageClass.SharedWith[i], storageClass.Source.At("sharedWith", i), diagnostics);
                    }

                    foreach (var replication in storageClass.Replication)
                    {
                        RequireCluster(topology, replication.To, replication.Source.At("to"), diagnostics);
                    }
                }
            }

            var declared = topology.Links.AddRange(topology.UnmeasuredLinks);
            DuplicateNames.Report(declared, l => l.Id, l => l.Source, "link", diagnostics, field: "between");
            foreach (var link in declared)
            {
                RequireCluster(topology, link.A, link.Source.At("between", 0), diagnostics);
                RequireCluster(topology, link.B, link.Source.At("between", 1), diagnostics);
            }
        }
    }

    internal static void RequireCluster(Topology topology, string name, SourceLocation at, IDiagnosticWriter diagnostics)
    {
        if (topology.FindCluster(name) is null)
        {
            diagnostics.Write(DiagnosticCatalog.UnknownCluster.At(at,
                $"cluster '{name}' is not declared in Topology '{topology.Name}' (known: {string.Join(", ", topology.Clusters.Select(c => c.Name))})"));
        }
    }
}
