using System.Net;
using System.Text.Json.Nodes;

namespace Reconcile.Simulator.Network;

public enum TrafficDirection
{
    Ingress,
    Egress,
}

/// <summary>The other end of a connection: its address, and its pod labels when it is a pod of the same namespace.</summary>
public sealed record TrafficPeer(IPAddress Address, IReadOnlyDictionary<string, string>? SameNamespacePod = null);

/// <summary>
/// Kubernetes NetworkPolicy semantics for one TCP connection of a pod (MultiNetworkPolicy has the same
/// spec): a pod that no policy selects for the direction is not isolated; once one does, the connection
/// passes only if some selecting policy has a rule admitting both the peer and the port. A pod selector
/// peer matches pods of the policy's namespace, a namespace selector any pod of the cluster; neither
/// matches an address outside it.
/// </summary>
public static class NetworkPolicyEvaluator
{
    /// <summary>Null when the policies admit the connection, else a description of the isolation that refuses it.</summary>
    public static string? Refuses(IEnumerable<JsonObject> policies, IReadOnlyDictionary<string, string> podLabels, TrafficDirection direction, TrafficPeer peer, int port)
    {
        var selecting = policies.Where(p => Selects(p["spec"]?["podSelector"], podLabels) && Types(p).Contains(direction)).ToList();
        if (selecting.Count == 0 || selecting.Any(p => Rules(p, direction).Any(rule => PeerMatches(rule, direction, peer) && PortMatches(rule, port))))
        {
            return null;
        }

        return $"{direction.ToString().ToLowerInvariant()} isolated by {string.Join(", ", selecting.Select(p => p["metadata"]!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal))}";
    }

    private static bool Selects(JsonNode? selector, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in selector?["matchLabels"]?.AsObject() ?? [])
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value?.GetValue<string>())
            {
                return false;
            }
        }

        foreach (var expression in selector?["matchExpressions"]?.AsArray() ?? [])
        {
            var key = expression!["key"]!.GetValue<string>();
            var values = expression["values"]?.AsArray().Select(v => v!.GetValue<string>()).ToHashSet(StringComparer.Ordinal) ?? [];
            var has = labels.TryGetValue(key, out var actual);
            var matches = expression["operator"]?.GetValue<string>() switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!matches)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>policyTypes, or as the API server defaults it: Ingress, plus Egress when egress rules exist.</summary>
    private static HashSet<TrafficDirection> Types(JsonObject policy)
    {
        if (policy["spec"]?["policyTypes"]?.AsArray() is { Count: > 0 } declared)
        {
            return [.. declared.Select(t => Enum.TryParse<TrafficDirection>(t!.GetValue<string>(), out var d) ? d : (TrafficDirection?)null).OfType<TrafficDirection>()];
        }

        return policy["spec"]?["egress"] is JsonArray { Count: > 0 } ? [TrafficDirection.Ingress, TrafficDirection.Egress] : [TrafficDirection.Ingress];
    }

    private static IEnumerable<JsonNode> Rules(JsonObject policy, TrafficDirection direction) =>
        (policy["spec"]?[direction == TrafficDirection.Ingress ? "ingress" : "egress"]?.AsArray() ?? []).OfType<JsonNode>();

    private static bool PeerMatches(JsonNode rule, TrafficDirection direction, TrafficPeer peer)
    {
        if (rule[direction == TrafficDirection.Ingress ? "from" : "to"]?.AsArray() is not { Count: > 0 } peers)
        {
            return true;
        }

        return peers.OfType<JsonNode>().Any(p => p["ipBlock"] is { } block
            ? Contains(block["cidr"]?.GetValue<string>(), peer.Address) && !(block["except"]?.AsArray() ?? []).Any(e => Contains(e?.GetValue<string>(), peer.Address))
            : peer.SameNamespacePod is { } labels && (p["podSelector"] is not { } pods || Selects(pods, labels)) && (p["podSelector"] is not null || p["namespaceSelector"] is not null));
    }

    private static bool Contains(string? cidr, IPAddress address) =>
        cidr is not null && IPNetwork.TryParse(cidr, out var network) && network.Contains(address);

    private static bool PortMatches(JsonNode rule, int port)
    {
        if (rule["ports"]?.AsArray() is not { Count: > 0 } ports)
        {
            return true;
        }

        return ports.Any(p =>
        {
            if ((p?["protocol"]?.GetValue<string>() ?? "TCP") != "TCP")
            {
                return false;
            }

            if (p?["port"] is not { } first)
            {
                return true;
            }

            // A named port names a container port; migration proxies have none, so it never matches.
            if (first.GetValueKind() != System.Text.Json.JsonValueKind.Number)
            {
                return false;
            }

            var from = JsonValues.Integer(first) ?? -1;
            var to = JsonValues.Integer(p["endPort"]) ?? from;
            return port >= from && port <= to;
        });
    }
}
