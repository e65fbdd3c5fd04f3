using System.Net;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Model;
using Reconcile.Simulator.Api;
using Reconcile.Simulator.World;

namespace Reconcile.Simulator.Network;

/// <summary>
/// The network between virt-handlers and synchronization controllers, as the clusters' policies let it
/// through. A cluster whose topology declares <c>migration.isolatedBy</c> starts with default-deny
/// policies in the kubevirt namespace, as a platform that isolates KubeVirt has; migrations then pass
/// only where other policies admit them. Each migration's proxy listens on a random port, as
/// virt-handler's proxies bind port 0 (pkg/virt-handler/migration-proxy).
/// </summary>
public static class MigrationFirewall
{
    /// <summary>multi-networkpolicy's resource (k8snetworkplumbingwg/multi-networkpolicy, v1beta1), served where a cluster declares it.</summary>
    public static readonly ResourceKind MultiNetworkPolicy = new("k8s.cni.cncf.io", "v1beta1", "MultiNetworkPolicy", "multi-networkpolicies", true, false, "multi-policy");

    public const string PolicyForAnnotation = "k8s.v1.cni.cncf.io/policy-for";
    private const string Namespace = "kubevirt";
    private const int SynchronizationPort = 9185;
    private static readonly IReadOnlyDictionary<string, string> Handler = new Dictionary<string, string> { ["kubevirt.io"] = "virt-handler" };
    private static readonly IReadOnlyDictionary<string, string> SynchronizationController = new Dictionary<string, string> { ["kubevirt.io"] = "virt-synchronization-controller" };

    /// <summary>Serves MultiNetworkPolicy and creates the default-deny policies the cluster's declared isolation implies.</summary>
    public static void Isolate(Cluster cluster, ClusterStore store, string manager)
    {
        var isolation = cluster.Migration.IsolatedBy;
        if (isolation.Contains(NetworkIsolation.NetworkPolicy))
        {
            store.Create(ResourceRegistry.NetworkPolicy, Namespace, DenyAll(null), manager);
            store.Create(ResourceRegistry.NetworkPolicy, Namespace, HandlerToHandler(), manager);
        }

        if (isolation.Contains(NetworkIsolation.MultiNetworkPolicy))
        {
            store.Registry.Add(MultiNetworkPolicy);
            if (cluster.Migration.Network is { } attachment)
            {
                store.Create(MultiNetworkPolicy, Namespace, DenyAll($"{Namespace}/{attachment}"), manager);
            }
        }
    }

    /// <summary>
    /// KubeVirt's own allowance between virt-handlers (kubevirt-allow-handler-to-handler,
    /// pkg/virt-operator/resource/generate/components/networkpolicy.go, v1.9.0), which an isolated cluster
    /// needs for migrations between its own nodes whatever Reconcile renders.
    /// </summary>
    private static JsonObject HandlerToHandler()
    {
        JsonObject Handlers() => new() { ["podSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["kubevirt.io"] = "virt-handler" } } };
        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "kubevirt-allow-handler-to-handler" },
            ["spec"] = new JsonObject
            {
                ["podSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["kubevirt.io"] = "virt-handler" } },
                ["policyTypes"] = new JsonArray("Ingress", "Egress"),
                ["ingress"] = new JsonArray(new JsonObject { ["from"] = new JsonArray(Handlers()) }),
                ["egress"] = new JsonArray(new JsonObject { ["to"] = new JsonArray(Handlers()) }),
            },
        };
    }

    private static JsonObject DenyAll(string? policyFor) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["name"] = "default-deny",
            ["annotations"] = policyFor is null ? null : new JsonObject { [PolicyForAnnotation] = policyFor },
        },
        ["spec"] = new JsonObject { ["podSelector"] = new JsonObject(), ["policyTypes"] = new JsonArray("Ingress", "Egress") },
    };

    /// <summary>
    /// Why a migration from <paramref name="source"/> to <paramref name="target"/> cannot connect, or null:
    /// for a decentralized migration the synchronization controllers' channel (port 9185) first, then the
    /// migration data between the virt-handlers on <paramref name="proxyPort"/>; inside one cluster only the data.
    /// </summary>
    public static string? Refusal(SimulatedCluster source, SimulatedCluster target, int proxyPort)
    {
        var local = source.Name == target.Name;
        var (from, to) = (new TrafficPeer(Address(source.Model), local ? Handler : null), new TrafficPeer(Address(target.Model), local ? Handler : null));
        if (!local)
        {
            var sync = Check(source, SynchronizationController, TrafficDirection.Egress, to, SynchronizationPort, attachment: null)
                ?? Check(target, SynchronizationController, TrafficDirection.Ingress, from, SynchronizationPort, attachment: null);
            if (sync is not null)
            {
                return $"the synchronization controllers of {source.Name} and {target.Name} cannot connect on port {SynchronizationPort}: {sync}";
            }
        }

        var data = Check(source, Handler, TrafficDirection.Egress, to, proxyPort, source.Model.Migration.Network)
            ?? Check(target, Handler, TrafficDirection.Ingress, from, proxyPort, target.Model.Migration.Network);
        return data is null ? null : $"dial tcp {to.Address}:{proxyPort}: i/o timeout ({data})";
    }

    /// <summary>The policies that govern the traffic: NetworkPolicy on the pod network, MultiNetworkPolicy naming the attachment on a Multus network.</summary>
    private static string? Check(SimulatedCluster cluster, IReadOnlyDictionary<string, string> pod, TrafficDirection direction, TrafficPeer peer, int port, string? attachment)
    {
        IEnumerable<JsonObject> policies = attachment is null
            ? cluster.Store.List(ResourceRegistry.NetworkPolicy, Namespace).Items
            : cluster.Store.Registry.Find(MultiNetworkPolicy.GroupVersion, MultiNetworkPolicy.Plural) is null
                ? []
                : cluster.Store.List(MultiNetworkPolicy, Namespace).Items.Where(p => PolicyFor(p).Contains($"{Namespace}/{attachment}") || PolicyFor(p).Contains(attachment));
        return NetworkPolicyEvaluator.Refuses(policies, pod, direction, peer, port) is { } why
            ? $"{cluster.Name} {(attachment is null ? "NetworkPolicy" : "MultiNetworkPolicy")} {why}"
            : null;
    }

    private static HashSet<string> PolicyFor(JsonObject policy) =>
        [.. (policy["metadata"]?["annotations"]?[PolicyForAnnotation]?.GetValue<string>() ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>
    /// An address a cluster's virt-handlers use: inside its declared migration CIDR, else one no policy
    /// names (TEST-NET-1).
    /// </summary>
    public static IPAddress Address(Cluster cluster)
    {
        if (cluster.Migration.Cidr is { } cidr && IPNetwork.TryParse(cidr, out var network))
        {
            var bytes = network.BaseAddress.GetAddressBytes();
            bytes[^1] = (byte)(bytes[^1] + 10);
            return new IPAddress(bytes);
        }

        return IPAddress.Parse("192.0.2.10");
    }

    /// <summary>A migration proxy's port: an ephemeral port (Linux's 32768-60999), stable per migration.</summary>
    public static int ProxyPort(string migrationKey)
    {
        var hash = 2166136261u;
        foreach (var c in migrationKey)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return 32768 + (int)(hash % (60999 - 32768 + 1));
    }
}
