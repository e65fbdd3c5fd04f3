using Reconcile.Reconciler.Clusters;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// Applies every cluster's static manifests (migration and network policies, the label patches of the VMs
/// that leave, alert rules): the clusters at once, and up to <see cref="PerCluster"/> objects in flight in
/// each. The objects are independent of one another (patches of distinct VMs, policies by name), and a
/// 10,000-VM campaign has 20,000 label patches: one request at a time, they cost a round trip each, which
/// across regions (150 ms from Frankfurt to Singapore) would be most of an hour per revision.
/// </summary>
internal static class StaticManifests
{
    public const int PerCluster = 8;

    public static Task ApplyAsync(CompiledCampaign campaign, IReadOnlyDictionary<string, IClusterGateway> clusters, CancellationToken cancel) =>
        Task.WhenAll(clusters.Select(cluster => ApplyToAsync(campaign, cluster.Key, cluster.Value, cancel)));

    private static async Task ApplyToAsync(CompiledCampaign campaign, string cluster, IClusterGateway gateway, CancellationToken cancel)
    {
        var objects = campaign.Files.Keys
            .Where(p => p.StartsWith($"{cluster}/static/", StringComparison.Ordinal) && !p.EndsWith("kustomization.yaml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .SelectMany(campaign.FileObjects)
            .ToList();
        await Parallel.ForEachAsync(objects, new ParallelOptions { MaxDegreeOfParallelism = PerCluster, CancellationToken = cancel },
            async (obj, token) => await gateway.ApplyAsync(obj, token));
    }
}
