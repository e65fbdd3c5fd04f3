using Reconcile.Compiler.Diagnostics;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>RC5001: the plan's parallelism never exceeds the KubeVirt limits of a cluster it touches.</summary>
public sealed class LimitsRule : IPlanRule
{
    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        var parallelism = scope.Plan.Strategy.Parallelism;
        var clusters = scope.Plan.Moves.SelectMany(m => new[] { m.From, m.To, m.Via }).OfType<string>()
            .Distinct().Order(StringComparer.Ordinal).Select(scope.Cluster).OfType<Model.Cluster>().ToList();
        foreach (var cluster in clusters)
        {
            if (parallelism.PerCluster > cluster.Migration.ParallelMigrationsPerCluster)
            {
                diagnostics.Write(DiagnosticCatalog.ParallelismAboveLimit.At(parallelism.Source.At("perCluster"),
                    $"parallelism.perCluster is {parallelism.PerCluster}, above parallelMigrationsPerCluster {cluster.Migration.ParallelMigrationsPerCluster} of cluster {cluster.Name}"));
            }

            if (parallelism.PerNode > cluster.Migration.ParallelOutboundMigrationsPerNode)
            {
                diagnostics.Write(DiagnosticCatalog.ParallelismAboveLimit.At(parallelism.Source.At("perNode"),
                    $"parallelism.perNode is {parallelism.PerNode}, above parallelOutboundMigrationsPerNode {cluster.Migration.ParallelOutboundMigrationsPerNode} of cluster {cluster.Name}"));
            }
        }
    }
}
