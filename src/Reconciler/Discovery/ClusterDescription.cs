using System.Text.Json.Nodes;
using Reconcile.Compiler.Model;
using static Reconcile.Reconciler.Discovery.PlanValues;

namespace Reconcile.Reconciler.Discovery;

/// <summary>
/// A Topology cluster entry from what one cluster shows: the KubeVirt CR (version, gates,
/// synchronization address, migration settings), the export proxy's Ingress or Route, nodes as
/// KubeVirt's node labeller marks them, StorageClasses with CDI's StorageProfiles, Multus attachments
/// and the policies that isolate KubeVirt's namespace. What no API says is taken from the previous
/// files (<paramref name="previous"/>) when they had it, and said in a comment either way.
/// </summary>
public sealed class ClusterDescription(string name, string context, ClusterObjects read, Cluster? previous)
{
    /// <summary>Label the cloud controller puts a node's region in (k8s.io/api/core/v1 well_known_labels.go).</summary>
    public const string RegionLabel = "topology.kubernetes.io/region";

    /// <summary>KubeVirt's defaults for migrations (pkg/virt-config/virt-config.go, v1.6.0-v1.9.0).</summary>
    private const int DefaultParallelPerCluster = 5;
    private const int DefaultParallelPerNode = 2;

    /// <summary>The plan language's defaults for what no API gives (schema/plan.schema.json, migration.mtu and migration.bandwidth).</summary>
    private const int DefaultMtu = 1500;
    private const long DefaultBandwidth = 10_000_000_000;

    private JsonNode? KubeVirt => read.Of(ClusterReader.KubeVirts).FirstOrDefault();

    private JsonNode? Migrations => KubeVirt?["spec"]?["configuration"]?["migrations"];

    private string Install => Str(KubeVirt?["metadata"]?["namespace"]) ?? "kubevirt";

    /// <summary>Nodes KubeVirt schedules VMs on (virt-handler labels them kubevirt.io/schedulable=true).</summary>
    public IReadOnlyList<JsonObject> VmNodes => [.. read.Of(ClusterReader.Nodes).Where(n => Str(n["metadata"]?["labels"]?["kubevirt.io/schedulable"]) == "true")
        .OrderBy(n => Str(n["metadata"]?["name"]), StringComparer.Ordinal)];

    public YamlMapping Describe()
    {
        var entries = new List<YamlEntry> { new("name", YamlScalar.Of(name)) };
        entries.Add(Region());
        if (Provider() is { } provider)
        {
            entries.Add(provider);
        }

        entries.Add(new YamlEntry("context", YamlScalar.Of(context)));
        entries.Add(KubeVirtEntry());
        entries.Add(MigrationEntry());
        entries.Add(KubeletEntry());
        if (previous?.RuleLabels is { Count: > 0 } ruleLabels)
        {
            entries.Add(new YamlEntry("monitoring", new YamlMapping([new YamlEntry("ruleLabels", Labels(ruleLabels))]), "kept from the previous file: no API says which rules the cluster's Prometheus selects"));
        }

        entries.Add(NodesEntry());
        entries.Add(StorageEntry());
        var attachments = read.Of(ClusterReader.Attachments).Select(a => $"{Str(a["metadata"]?["namespace"])}/{Str(a["metadata"]?["name"])}").Distinct().Order(StringComparer.Ordinal).ToList();
        entries.Add(new YamlEntry("networkAttachmentDefinitions", new YamlSequence([.. attachments.Select(YamlScalar.Of)], Flow: true),
            Failed(ClusterReader.Attachments) ?? (attachments.Count == 0 ? "none found (Multus not installed, or no attachments)" : null)));
        return new YamlMapping(entries);
    }

    private string? Failed(ReadResource resource) => read.FailureOf(resource) is { } failure ? $"could not read {resource.Id}: {failure.Message}" : null;

    private YamlEntry Region()
    {
        var regions = read.Of(ClusterReader.Nodes).Select(n => Str(n["metadata"]?["labels"]?[RegionLabel])).OfType<string>()
            .GroupBy(r => r).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (regions.Count > 0)
        {
            return new YamlEntry("region", YamlScalar.Of(regions[0].Key), regions.Count > 1 ? $"the most common {RegionLabel} of its nodes; others: {string.Join(", ", regions.Skip(1).Select(r => r.Key))}" : null);
        }

        return previous is not null
            ? new YamlEntry("region", YamlScalar.Of(previous.Region), $"kept from the previous file: no node carries {RegionLabel}")
            : new YamlEntry("region", YamlScalar.Of(name), $"no node carries {RegionLabel}: set the region (moves between regions are cross-border, S2)");
    }

    private YamlEntry? Provider()
    {
        // The cloud controller's providerID names the cloud (aws://, gce://, azure://, openstack://).
        var schemes = read.Of(ClusterReader.Nodes).Select(n => Str(n["spec"]?["providerID"])).OfType<string>()
            .Select(id => id.Split("://")[0]).GroupBy(s => s).OrderByDescending(g => g.Count()).Select(g => g.Key).ToList();
        var provider = schemes.FirstOrDefault() switch
        {
            "aws" => "aws",
            "gce" => "gcp",
            "azure" => "azure",
            "openstack" => "openstack",
            _ => null,
        };
        if (provider is not null)
        {
            return new YamlEntry("provider", YamlScalar.Of(provider), "from the nodes' providerID");
        }

        return previous?.Provider is { } kept ? new YamlEntry("provider", YamlScalar.Of(kept), "kept from the previous file: the nodes' providerID names no known cloud") : null;
    }

    private YamlEntry KubeVirtEntry()
    {
        if (KubeVirt is not { } kv)
        {
            return new YamlEntry("kubevirt", new YamlMapping([], Flow: true), Failed(ClusterReader.KubeVirts) ?? "no KubeVirt CR found: is KubeVirt installed?");
        }

        var entries = new List<YamlEntry>();
        var version = Str(kv["status"]?["observedKubeVirtVersion"]);
        entries.Add(version is not null
            ? new YamlEntry("version", YamlScalar.Of(version), "status.observedKubeVirtVersion")
            : new YamlEntry("version", null, "virt-operator has not reported status.observedKubeVirtVersion yet: set it (vX.Y.Z)"));
        var developer = kv["spec"]?["configuration"]?["developerConfiguration"];
        foreach (var (field, gates) in new[] { ("featureGates", developer?["featureGates"]), ("disabledFeatureGates", developer?["disabledFeatureGates"]) })
        {
            var list = (gates as JsonArray)?.Select(Str).OfType<string>().ToList() ?? [];
            if (list.Count > 0 || field == "featureGates")
            {
                entries.Add(new YamlEntry(field, new YamlSequence([.. list.Select(YamlScalar.Of)], Flow: true)));
            }
        }

        var addresses = (kv["status"]?["synchronizationAddresses"] as JsonArray)?.Select(Str).OfType<string>().ToList() ?? [];
        if (addresses.Count > 0)
        {
            entries.Add(new YamlEntry("synchronizationAddress", YamlScalar.Of(addresses[0]), addresses.Count > 1 ? $"status.synchronizationAddresses[0] of {addresses.Count}" : "status.synchronizationAddresses"));
        }
        else if (previous?.KubeVirt.SynchronizationAddress is { } kept)
        {
            entries.Add(new YamlEntry("synchronizationAddress", YamlScalar.Of(kept), "kept from the previous file: status.synchronizationAddresses is empty"));
        }

        if (ExportHost() is { } host)
        {
            entries.Add(new YamlEntry("exportAddress", YamlScalar.Of(host.Host), host.Source));
        }
        else if (previous?.KubeVirt.ExportAddress is { } kept)
        {
            entries.Add(new YamlEntry("exportAddress", YamlScalar.Of(kept), "kept from the previous file: no Ingress or Route in front of virt-exportproxy"));
        }

        return new YamlEntry("kubevirt", new YamlMapping(entries));
    }

    /// <summary>The external host of virt-exportproxy, found as KubeVirt's export controller finds it (getHostFromIngress / getHostFromRoute, pkg/storage/export/export/links.go).</summary>
    private (string Host, string Source)? ExportHost()
    {
        const string service = "virt-exportproxy";
        foreach (var ingress in read.Of(ClusterReader.Ingresses).OrderBy(i => Str(i["metadata"]?["name"]), StringComparer.Ordinal))
        {
            var spec = ingress["spec"];
            var rules = (spec?["rules"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
            var host = Str(spec?["defaultBackend"]?["service"]?["name"]) == service
                ? rules.Select(r => Str(r["host"])).FirstOrDefault()
                : rules.Where(r => (r["http"]?["paths"] as JsonArray)?.Any(p => Str(p?["backend"]?["service"]?["name"]) == service) == true).Select(r => Str(r["host"])).FirstOrDefault(h => !string.IsNullOrEmpty(h));
            if (!string.IsNullOrEmpty(host))
            {
                return (host, $"the host of Ingress {Install}/{Str(ingress["metadata"]?["name"])} in front of {service}");
            }
        }

        foreach (var route in read.Of(ClusterReader.Routes).OrderBy(r => Str(r["metadata"]?["name"]), StringComparer.Ordinal))
        {
            if (Str(route["spec"]?["to"]?["name"]) == service && Str(route["status"]?["ingress"]?[0]?["host"]) is { Length: > 0 } host)
            {
                return (host, $"the host of Route {Install}/{Str(route["metadata"]?["name"])} to {service}");
            }
        }

        return null;
    }

    private YamlEntry MigrationEntry()
    {
        var migrations = Migrations;
        var entries = new List<YamlEntry>();
        var network = Str(migrations?["network"]);
        JsonNode? config = null;
        if (network is not null)
        {
            entries.Add(new YamlEntry("network", YamlScalar.Of(network), "KubeVirt's migrations.network"));
            var attachment = read.Of(ClusterReader.Attachments).FirstOrDefault(a => Str(a["metadata"]?["name"]) == network && Str(a["metadata"]?["namespace"]) == Install);
            config = Str(attachment?["spec"]?["config"]) is { } text ? TryParse(text) : null;
        }

        entries.Add(CidrEntry(network, config));
        var isolation = new List<string>();
        if (read.Of(ClusterReader.NetworkPolicies).Count > 0)
        {
            isolation.Add(nameof(NetworkIsolation.NetworkPolicy));
        }

        if (read.Of(ClusterReader.MultiNetworkPolicies).Count > 0)
        {
            isolation.Add(nameof(NetworkIsolation.MultiNetworkPolicy));
        }

        var isolationNote = Failed(ClusterReader.NetworkPolicies) ?? Failed(ClusterReader.MultiNetworkPolicies)
            ?? (isolation.Count > 0 ? $"policies select pods in {Install}" : null);
        entries.Add(new YamlEntry("isolatedBy", new YamlSequence([.. isolation.Select(YamlScalar.Of)], Flow: true), isolationNote));
        entries.Add(new YamlEntry("tls", YamlScalar.Of(Bool(migrations?["disableTLS"]) != true), "KubeVirt's migrations.disableTLS, negated"));
        entries.Add(MtuEntry(network, config));
        if (Quantity(migrations?["bandwidthPerMigration"]) is { } perMigration and > 0)
        {
            entries.Add(new YamlEntry("bandwidth", YamlScalar.Raw(Bits((long)(perMigration * 8))), "KubeVirt's bandwidthPerMigration: no migration goes faster"));
        }
        else if (previous is not null && previous.Migration.BandwidthBitsPerSecond != DefaultBandwidth)
        {
            entries.Add(new YamlEntry("bandwidth", YamlScalar.Raw(Bits(previous.Migration.BandwidthBitsPerSecond)), "kept from the previous file: KubeVirt sets no bandwidthPerMigration (measure between two nodes with iperf3)"));
        }
        else
        {
            entries.Add(new YamlEntry("bandwidth", YamlScalar.Raw(Bits(DefaultBandwidth)), "defaulted: KubeVirt sets no bandwidthPerMigration; measure between two nodes with iperf3 -c NODE -P 8 -t 30 (S14)"));
        }

        foreach (var (field, fallback) in new[] { ("parallelMigrationsPerCluster", DefaultParallelPerCluster), ("parallelOutboundMigrationsPerNode", DefaultParallelPerNode) })
        {
            var value = Long(migrations?[field]);
            entries.Add(new YamlEntry(field, YamlScalar.Of(value ?? fallback), value is null ? "KubeVirt's default" : null));
        }

        return new YamlEntry("migration", new YamlMapping(entries));
    }

    private YamlEntry CidrEntry(string? network, JsonNode? config)
    {
        if (network is not null)
        {
            var ipam = config?["ipam"];
            if ((Str(ipam?["range"]) ?? Str(ipam?["subnet"]) ?? Str(ipam?["ranges"]?[0]?[0]?["subnet"])) is { } range)
            {
                return new YamlEntry("cidr", YamlScalar.Of(range), $"the IPAM range of attachment {Install}/{network}");
            }
        }
        else
        {
            var podCidrs = VmNodes.SelectMany(n => (n["spec"]?["podCIDRs"] as JsonArray)?.Select(Str) ?? [Str(n["spec"]?["podCIDR"])]).OfType<string>().ToList();
            if (podCidrs.Count > 0 && Supernet(podCidrs) is { } supernet)
            {
                return new YamlEntry("cidr", YamlScalar.Of(supernet), "the pod network's range: the smallest network holding the nodes' podCIDRs");
            }
        }

        return previous?.Migration.Cidr is { } kept
            ? new YamlEntry("cidr", YamlScalar.Of(kept), "kept from the previous file: the range is not in the API")
            : new YamlEntry("cidr", null, "not readable: set the range virt-handlers migrate from (peers' policies admit it, S8)");
    }

    private YamlEntry MtuEntry(string? network, JsonNode? config)
    {
        if (network is not null && Long(config?["mtu"]) is { } mtu)
        {
            return new YamlEntry("mtu", YamlScalar.Of(mtu), $"the MTU of attachment {Install}/{network}");
        }

        // A kept value equal to the default reads as the default: nothing tells them apart, and a re-run must write the same bytes.
        return previous is { Migration.Mtu: not DefaultMtu }
            ? new YamlEntry("mtu", YamlScalar.Of(previous.Migration.Mtu), "kept from the previous file: the pod network's MTU is not in the API")
            : new YamlEntry("mtu", YamlScalar.Of(DefaultMtu), "defaulted: the pod network's MTU is not in the API; check with `ip link` in a virt-handler pod (S24)");
    }

    private YamlEntry KubeletEntry()
    {
        // virt-handler labels each node cpumanager=true where the kubelet runs the static policy (pkg/virt-handler/heartbeat/heartbeat.go).
        var nodes = VmNodes;
        var statics = nodes.Where(n => Str(n["metadata"]?["labels"]?["cpumanager"]) == "true").ToList();
        var policy = statics.Count > 0 ? "static" : "none";
        var others = nodes.Except(statics).Select(n => Str(n["metadata"]?["name"])).OfType<string>().ToList();
        var note = statics.Count > 0 && others.Count > 0
            ? $"nodes without the static CPU manager (cpumanager label not true): {string.Join(", ", others)}"
            : "from virt-handler's cpumanager node label";
        return new YamlEntry("kubelet", new YamlMapping([new YamlEntry("cpuManagerPolicy", YamlScalar.Of(policy), note)]));
    }

    private YamlEntry NodesEntry()
    {
        var all = read.Of(ClusterReader.Nodes);
        var nodes = VmNodes;
        var skipped = all.Except(nodes).Select(n => Str(n["metadata"]?["name"])).OfType<string>().Order(StringComparer.Ordinal).ToList();
        var note = Failed(ClusterReader.Nodes) ?? (skipped.Count > 0 ? $"not listed, KubeVirt does not schedule there (kubevirt.io/schedulable is not true): {string.Join(", ", skipped)}" : null);
        var described = nodes.Select(NodeDescription.Describe).ToList();
        return new YamlEntry("nodes", new YamlSequence([.. described.Select(d => d.Value)], Comments: [.. described.Select(d => d.Comment)]), note);
    }

    private YamlEntry StorageEntry()
    {
        var profiles = read.Of(ClusterReader.StorageProfiles).ToDictionary(p => Str(p["metadata"]?["name"]) ?? "", StringComparer.Ordinal);
        var classes = new List<YamlValue>();
        var notesByClass = new List<string?>();
        foreach (var storageClass in read.Of(ClusterReader.StorageClasses).OrderBy(s => Str(s["metadata"]?["name"]), StringComparer.Ordinal))
        {
            var className = Str(storageClass["metadata"]?["name"]) ?? "";
            var entries = new List<YamlEntry> { new("name", YamlScalar.Of(className)) };
            var modes = (profiles.GetValueOrDefault(className)?["status"]?["claimPropertySets"] as JsonArray)?
                .SelectMany(set => (set?["accessModes"] as JsonArray)?.Select(Str) ?? []).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList() ?? [];
            var notes = new List<string>();
            if (modes.Count > 0)
            {
                entries.Add(new YamlEntry("accessModes", new YamlSequence([.. modes.Select(YamlScalar.Of)], Flow: true)));
            }
            else if (previous?.FindStorageClass(className) is { AccessModes.Length: > 0 } keptModes)
            {
                entries.Add(new YamlEntry("accessModes", new YamlSequence([.. keptModes.AccessModes.Select(YamlScalar.Of)], Flow: true)));
                notes.Add("access modes kept from the previous file: CDI's StorageProfile gives none");
            }
            else
            {
                notes.Add($"CDI's StorageProfile gives no access modes for provisioner {Str(storageClass["provisioner"])}: set accessModes");
            }

            entries.Add(new YamlEntry("reclaimPolicy", YamlScalar.Of(Str(storageClass["reclaimPolicy"]) ?? "Delete")));
            entries.Add(new YamlEntry("volumeBindingMode", YamlScalar.Of(Str(storageClass["volumeBindingMode"]) ?? "Immediate")));
            if (previous?.FindStorageClass(className) is { } kept)
            {
                if (kept.SharedWith.Length > 0)
                {
                    entries.Add(new YamlEntry("sharedWith", new YamlSequence([.. kept.SharedWith.Select(YamlScalar.Of)], Flow: true)));
                }

                if (kept.Replication.Length > 0)
                {
                    entries.Add(new YamlEntry("replication", ModelWriter.Replication(kept.Replication)));
                }

                if (kept.SharedWith.Length + kept.Replication.Length > 0)
                {
                    notes.Add("sharing and replication kept from the previous file");
                }
            }

            classes.Add(new YamlMapping(entries, Flow: true));
            notesByClass.Add(notes.Count > 0 ? string.Join("; ", notes) : null);
        }

        return new YamlEntry("storageClasses", new YamlSequence(classes, Comments: notesByClass), Failed(ClusterReader.StorageClasses) ?? Failed(ClusterReader.StorageProfiles));
    }

    internal static YamlMapping Labels(IEnumerable<KeyValuePair<string, string>> labels) =>
        new([.. labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => new YamlEntry(l.Key, YamlScalar.Of(l.Value)))], Flow: true);

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
