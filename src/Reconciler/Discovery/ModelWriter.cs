using Reconcile.Compiler.Model;
using static Reconcile.Reconciler.Discovery.PlanValues;

namespace Reconcile.Reconciler.Discovery;

/// <summary>
/// Writes plan-model values back as plan language: links measured by hand, and a cluster that could
/// not be read this time, from the previous files, so that a partial run loses nothing.
/// </summary>
public static class ModelWriter
{
    public static YamlMapping Link(Link link)
    {
        var entries = new List<YamlEntry> { new("between", new YamlSequence([YamlScalar.Of(link.A), YamlScalar.Of(link.B)], Flow: true)) };
        if (link.Directed)
        {
            entries.Add(new YamlEntry("directed", YamlScalar.Of(true)));
        }

        entries.Add(new YamlEntry("latency", YamlScalar.Raw(Duration(link.Latency))));
        entries.Add(new YamlEntry("bandwidth", YamlScalar.Raw(Bits(link.BandwidthBitsPerSecond))));
        if (link.StreamBitsPerSecond is { } stream)
        {
            entries.Add(new YamlEntry("streamBandwidth", YamlScalar.Raw(Bits(stream))));
        }

        if (link.TcpWindowBytes is { } window)
        {
            entries.Add(new YamlEntry("tcpWindow", YamlScalar.Raw(Bytes(window))));
        }

        if (link.Overhead > 0)
        {
            entries.Add(new YamlEntry("overhead", YamlScalar.Raw(link.Overhead.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture))));
        }

        if (link.Jitter is { } jitter)
        {
            entries.Add(new YamlEntry("jitter", YamlScalar.Raw(Duration(jitter))));
        }

        if (link.LossPercent is { } loss)
        {
            entries.Add(new YamlEntry("lossPercent", YamlScalar.Raw(loss.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture))));
        }

        if (link.Kind is { } kind)
        {
            entries.Add(new YamlEntry("kind", YamlScalar.Of(kind)));
        }

        if (link.Encrypted)
        {
            entries.Add(new YamlEntry("encrypted", YamlScalar.Of(true)));
        }

        if (link.Mtu is { } mtu)
        {
            entries.Add(new YamlEntry("mtu", YamlScalar.Of(mtu)));
        }

        return new YamlMapping(entries);
    }

    /// <summary>The unmeasured entry for a pair of clusters: the pair, and how to measure it in the comment above.</summary>
    public static YamlMapping UnmeasuredLink(string a, string b) =>
        new([new YamlEntry("between", new YamlSequence([YamlScalar.Of(a), YamlScalar.Of(b)], Flow: true),
            "unmeasured (RC3029): from a node of each cluster, latency: ping -c 100 PEER; bandwidth: iperf3 -c PEER -P 8 -t 30; streamBandwidth: iperf3 -c PEER -P 1 -t 30 (S14)")]);

    public static YamlMapping Cluster(Cluster cluster)
    {
        var kubevirt = new List<YamlEntry>();
        if (cluster.KubeVirt.Version is { } version)
        {
            kubevirt.Add(new YamlEntry("version", YamlScalar.Of($"v{version}")));
        }

        kubevirt.Add(new YamlEntry("featureGates", Scalars(cluster.KubeVirt.FeatureGates)));
        if (cluster.KubeVirt.DisabledFeatureGates.Length > 0)
        {
            kubevirt.Add(new YamlEntry("disabledFeatureGates", Scalars(cluster.KubeVirt.DisabledFeatureGates)));
        }

        if (cluster.KubeVirt.SynchronizationAddress is { } sync)
        {
            kubevirt.Add(new YamlEntry("synchronizationAddress", YamlScalar.Of(sync)));
        }

        if (cluster.KubeVirt.ExportAddress is { } export)
        {
            kubevirt.Add(new YamlEntry("exportAddress", YamlScalar.Of(export)));
        }

        var m = cluster.Migration;
        var migration = new List<YamlEntry>();
        if (m.Network is { } network)
        {
            migration.Add(new YamlEntry("network", YamlScalar.Of(network)));
        }

        if (m.Cidr is { } cidr)
        {
            migration.Add(new YamlEntry("cidr", YamlScalar.Of(cidr)));
        }

        migration.Add(new YamlEntry("isolatedBy", Scalars(m.IsolatedBy.Select(i => i.ToString()))));
        migration.Add(new YamlEntry("tls", YamlScalar.Of(m.Tls)));
        migration.Add(new YamlEntry("mtu", YamlScalar.Of(m.Mtu)));
        migration.Add(new YamlEntry("bandwidth", YamlScalar.Raw(Bits(m.BandwidthBitsPerSecond))));
        migration.Add(new YamlEntry("parallelMigrationsPerCluster", YamlScalar.Of(m.ParallelMigrationsPerCluster)));
        migration.Add(new YamlEntry("parallelOutboundMigrationsPerNode", YamlScalar.Of(m.ParallelOutboundMigrationsPerNode)));
        var entries = new List<YamlEntry> { new("name", YamlScalar.Of(cluster.Name)), new("region", YamlScalar.Of(cluster.Region)) };
        if (cluster.Provider is { } provider)
        {
            entries.Add(new YamlEntry("provider", YamlScalar.Of(provider)));
        }

        entries.Add(new YamlEntry("context", YamlScalar.Of(cluster.Context)));
        entries.Add(new YamlEntry("kubevirt", new YamlMapping(kubevirt)));
        entries.Add(new YamlEntry("migration", new YamlMapping(migration)));
        entries.Add(new YamlEntry("kubelet", new YamlMapping([new YamlEntry("cpuManagerPolicy", YamlScalar.Of(cluster.CpuManagerPolicy))])));
        if (cluster.RuleLabels is { Count: > 0 } ruleLabels)
        {
            entries.Add(new YamlEntry("monitoring", new YamlMapping([new YamlEntry("ruleLabels", ClusterDescription.Labels(ruleLabels))])));
        }

        entries.Add(new YamlEntry("nodes", new YamlSequence([.. cluster.Nodes.Select(Node)])));
        entries.Add(new YamlEntry("storageClasses", new YamlSequence([.. cluster.StorageClasses.Select(StorageClass)])));
        entries.Add(new YamlEntry("networkAttachmentDefinitions", Scalars(cluster.NetworkAttachmentDefinitions)));
        return new YamlMapping(entries);
    }

    private static YamlValue Node(Node node)
    {
        var fields = new List<YamlEntry> { new("name", YamlScalar.Of(node.Name)) };
        if (node.CpuModel is { } model)
        {
            fields.Add(new YamlEntry("cpuModel", YamlScalar.Of(model)));
        }

        if (node.MemoryBytes is { } memory)
        {
            fields.Add(new YamlEntry("memory", YamlScalar.Raw(Bytes(memory))));
        }

        if (node.Cpu is { } cpu)
        {
            fields.Add(new YamlEntry("cpu", YamlScalar.Of(cpu)));
        }

        if (node.HugepagesBytes is { } hugepages)
        {
            fields.Add(new YamlEntry("hugepages", YamlScalar.Raw(Bytes(hugepages))));
        }

        if (node.Labels.Count > 0)
        {
            fields.Add(new YamlEntry("labels", ClusterDescription.Labels(node.Labels)));
        }

        return new YamlMapping(fields, Flow: true);
    }

    private static YamlValue StorageClass(StorageClass storageClass)
    {
        var fields = new List<YamlEntry> { new("name", YamlScalar.Of(storageClass.Name)) };
        if (storageClass.AccessModes.Length > 0)
        {
            fields.Add(new YamlEntry("accessModes", Scalars(storageClass.AccessModes)));
        }

        fields.Add(new YamlEntry("reclaimPolicy", YamlScalar.Of(storageClass.ReclaimPolicy)));
        fields.Add(new YamlEntry("volumeBindingMode", YamlScalar.Of(storageClass.VolumeBindingMode)));
        if (storageClass.SharedWith.Length > 0)
        {
            fields.Add(new YamlEntry("sharedWith", Scalars(storageClass.SharedWith)));
        }

        if (storageClass.Replication.Length > 0)
        {
            fields.Add(new YamlEntry("replication", Replication(storageClass.Replication)));
        }

        return new YamlMapping(fields, Flow: true);
    }

    /// <summary>A class's replication targets, as a flow sequence.</summary>
    public static YamlSequence Replication(IEnumerable<StorageReplication> replication) =>
        new([.. replication.Select(r => (YamlValue)new YamlMapping(
            [new("to", YamlScalar.Of(r.To)), new("volumeReplicationClass", YamlScalar.Of(r.VolumeReplicationClass)), new("rpo", YamlScalar.Raw(Duration(r.Rpo)))], Flow: true))], Flow: true);

    public static YamlSequence Scalars(IEnumerable<string> values) => new([.. values.Select(YamlScalar.Of)], Flow: true);
}
