using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Planning;
using Reconcile.Reconciler.Clusters;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// Decentralized migration needs each cluster to trust its peers' KubeVirt CA (kubevirt-facts §6):
/// a cluster gets, in its kubevirt-external-ca (which virt-operator merges into kubevirt-ca and
/// clears), the own CA of each cluster it migrates with, and nothing else. A peer's own CA is the
/// first certificate of its kubevirt-ca bundle: virt-operator writes its current CA first and the
/// certificates it merged after it (MergeCABundle in
/// pkg/virt-operator/resource/generate/components/secrets.go, shouldUpdateBundle in
/// pkg/virt-operator/resource/apply/core.go, v1.6.0–v1.9.0), so what a peer received from others, or
/// what someone slipped into its bundle, is never passed on. What was handed over is recorded per peer
/// in ConfigMap kubevirt/reconcile-peer-cas; when a peer leaves the topology, its certificates are
/// taken out of kubevirt-ca again. Done on every apply, since the CAs rotate (7 days by default).
/// </summary>
internal static partial class CertificateExchange
{
    public const string LedgerName = "reconcile-peer-cas";

    public static async Task RunAsync(ExecutionGraph graph, IReadOnlyDictionary<string, IClusterGateway> clusters, CancellationToken cancel)
    {
        var pairs = graph.Steps.Where(s => s.Kind == StepKind.Migrate && s.From is not null && s.To is not null && s.From.Cluster != s.To.Cluster)
            .SelectMany(s => new[] { (s.From!.Cluster, s.To!.Cluster), (s.To.Cluster, s.From.Cluster) }).Distinct().ToList();
        var own = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var peer in pairs.Select(p => p.Item2).Distinct().Order(StringComparer.Ordinal))
        {
            var bundle = (await clusters[peer].GetAsync("v1", "ConfigMap", Conventions.KubeVirtNamespace, "kubevirt-ca", cancel))?["data"]?["ca-bundle"]?.GetValue<string>();
            own[peer] = bundle is null ? null : Certificates(bundle).FirstOrDefault();
        }

        foreach (var (cluster, gateway) in clusters.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var peers = pairs.Where(p => p.Item1 == cluster).Select(p => p.Item2).Order(StringComparer.Ordinal).ToList();
            var ledger = await gateway.GetAsync("v1", "ConfigMap", Conventions.KubeVirtNamespace, LedgerName, cancel);
            var handed = (ledger?["data"] as JsonObject ?? []).ToDictionary(e => e.Key, e => Certificates(e.Value?.GetValue<string>() ?? ""), StringComparer.Ordinal);
            var departed = handed.Keys.Where(p => !clusters.ContainsKey(p)).ToList();
            if (peers.Count == 0 && departed.Count == 0)
            {
                continue;
            }

            var ca = await gateway.GetAsync("v1", "ConfigMap", Conventions.KubeVirtNamespace, "kubevirt-ca", cancel);
            var trusted = Certificates(ca?["data"]?["ca-bundle"]?.GetValue<string>() ?? "");
            if (departed.Count > 0 && ca is not null)
            {
                // Before anything is handed over (virt-operator merges it into this very ConfigMap), and only
                // over the version read: a merge in between makes the write fail, and the next apply tries again.
                var gone = departed.SelectMany(p => handed[p]).Where(c => c != trusted.FirstOrDefault()).ToHashSet(StringComparer.Ordinal);
                if (trusted.Any(gone.Contains) && await RemoveAsync(gateway, ca, [.. trusted.Where(c => !gone.Contains(c))], cancel) is { } kept)
                {
                    trusted = kept;
                }
                else if (trusted.Any(gone.Contains))
                {
                    departed = [];
                }
            }

            var missing = peers.Select(p => own[p]).OfType<string>().Distinct().Where(c => !trusted.Contains(c)).ToList();
            if (missing.Count > 0)
            {
                await gateway.ApplyAsync(Bundle("kubevirt-external-ca", string.Concat(missing)), cancel);
            }

            var record = new JsonObject();
            foreach (var peer in handed.Keys.Except(departed).Union(peers).Order(StringComparer.Ordinal))
            {
                var certificates = handed.GetValueOrDefault(peer, []).Union(own.GetValueOrDefault(peer) is { } c ? [c] : []).ToList();
                record[peer] = string.Concat(certificates);
            }

            if (!JsonNode.DeepEquals(record, ledger?["data"] ?? new JsonObject()))
            {
                if (ledger?["data"] is JsonObject before && before.Any(e => !record.ContainsKey(e.Key)))
                {
                    // Keys written by someone else than this field manager would survive an apply.
                    await gateway.DeleteAsync("v1", "ConfigMap", Conventions.KubeVirtNamespace, LedgerName, cancel);
                }

                var updated = Bundle(LedgerName, "");
                updated["data"] = record;
                await gateway.ApplyAsync(updated, cancel);
            }
        }
    }

    /// <summary>Writes <paramref name="kept"/> as the bundle if the ConfigMap is still the version read; null when it changed meanwhile.</summary>
    private static async Task<List<string>?> RemoveAsync(IClusterGateway gateway, JsonObject read, List<string> kept, CancellationToken cancel)
    {
        var update = Bundle("kubevirt-ca", string.Concat(kept));
        update["metadata"]!["resourceVersion"] = read["metadata"]?["resourceVersion"]?.GetValue<string>();
        try
        {
            await gateway.ApplyAsync(update, cancel);
            return kept;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            return null;
        }
    }

    private static JsonObject Bundle(string name, string certificates) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Conventions.KubeVirtNamespace },
        ["data"] = new JsonObject { ["ca-bundle"] = certificates },
    };

    /// <summary>The PEM certificates of a bundle, each ending in one newline.</summary>
    public static List<string> Certificates(string bundle) =>
        [.. Certificate().Matches(bundle).Select(m => m.Value.TrimEnd('\n') + "\n")];

    [GeneratedRegex("-----BEGIN CERTIFICATE-----[\\s\\S]*?-----END CERTIFICATE-----\\n?")]
    private static partial Regex Certificate();
}
