using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Planning;
using Reconcile.Reconciler.Clusters;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// Decentralized migration needs each cluster to trust its peers' KubeVirt CA: every cluster that
/// migrates to or from another gets the peers' kubevirt-ca bundles in its kubevirt-external-ca, which
/// virt-operator merges and clears (kubevirt-facts §6). Done on every apply, since the CAs rotate
/// (7 days by default).
/// </summary>
internal static partial class CertificateExchange
{
    public static async Task RunAsync(ExecutionGraph graph, IReadOnlyDictionary<string, IClusterGateway> clusters, CancellationToken cancel)
    {
        var pairs = graph.Steps.Where(s => s.Kind == StepKind.Migrate && s.From is not null && s.To is not null && s.From.Cluster != s.To.Cluster)
            .SelectMany(s => new[] { (s.From!.Cluster, s.To!.Cluster), (s.To.Cluster, s.From.Cluster) }).Distinct().ToList();
        foreach (var cluster in pairs.Select(p => p.Item1).Distinct().Order(StringComparer.Ordinal))
        {
            var bundle = new System.Text.StringBuilder();
            foreach (var peer in pairs.Where(p => p.Item1 == cluster).Select(p => p.Item2).Order(StringComparer.Ordinal))
            {
                var ca = await clusters[peer].GetAsync("v1", "ConfigMap", Conventions.KubeVirtNamespace, "kubevirt-ca", cancel);
                bundle.Append(ca?["data"]?["ca-bundle"]?.GetValue<string>() ?? "");
            }

            var ours = await clusters[cluster].GetAsync("v1", "ConfigMap", Conventions.KubeVirtNamespace, "kubevirt-ca", cancel);
            var known = ours?["data"]?["ca-bundle"]?.GetValue<string>() ?? "";
            var missing = string.Concat(Certificate().Matches(bundle.ToString()).Select(m => m.Value).Where(c => !known.Contains(c.TrimEnd('\n'), StringComparison.Ordinal)));
            if (missing.Length > 0)
            {
                await clusters[cluster].ApplyAsync(new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "ConfigMap",
                    ["metadata"] = new JsonObject { ["name"] = "kubevirt-external-ca", ["namespace"] = Conventions.KubeVirtNamespace },
                    ["data"] = new JsonObject { ["ca-bundle"] = missing },
                }, cancel);
            }
        }
    }

    [GeneratedRegex("-----BEGIN CERTIFICATE-----[\\s\\S]*?-----END CERTIFICATE-----\\n?")]
    private static partial Regex Certificate();
}
