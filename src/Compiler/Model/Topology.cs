using System.Collections.Immutable;

namespace Reconcile.Compiler.Model;

public sealed record Topology(string Name, ImmutableArray<Cluster> Clusters, ImmutableArray<Link> Links, Located Source)
{
    public Cluster? FindCluster(string name) => Clusters.FirstOrDefault(c => c.Name == name);

    /// <summary>The link that carries traffic from <paramref name="from"/> to <paramref name="to"/>, if any.</summary>
    public Link? FindLink(string from, string to) => Links.FirstOrDefault(l => l.Carries(from, to));

    /// <summary>
    /// Links declared without latency or bandwidth (as `reconcile discover` writes them): reported once
    /// (RC3029) and kept out of <see cref="Links"/>, so nothing plans over a figure nobody measured.
    /// </summary>
    public ImmutableArray<Link> UnmeasuredLinks { get; init; } = [];
}

public sealed record Cluster(
    string Name,
    string Region,
    string? Provider,
    string Context,
    KubeVirtInstall KubeVirt,
    MigrationNetwork Migration,
    string CpuManagerPolicy,
    ImmutableArray<Node> Nodes,
    ImmutableArray<StorageClass> StorageClasses,
    ImmutableArray<string> NetworkAttachmentDefinitions,
    ImmutableDictionary<string, string>? RuleLabels,
    Located Source)
{
    /// <summary>
    /// Labels for the PrometheusRules rendered for a cluster that declares none (monitoring.ruleLabels): the
    /// ones the common Prometheus Operator setups select on, kube-prometheus (prometheus: k8s, role:
    /// alert-rules) and the kube-prometheus-stack chart installed as "kube-prometheus-stack" (release).
    /// A matchLabels selector ignores labels it does not name, so carrying all of them is harmless.
    /// </summary>
    public static readonly ImmutableDictionary<string, string> DefaultRuleLabels = ImmutableDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, string>
    {
        ["prometheus"] = "k8s",
        ["role"] = "alert-rules",
        ["release"] = "kube-prometheus-stack",
    });

    public Node? FindNode(string name) => Nodes.FirstOrDefault(n => n.Name == name);

    public StorageClass? FindStorageClass(string name) => StorageClasses.FirstOrDefault(s => s.Name == name);
}

/// <param name="Version">Major, minor and patch; null when the plan does not say.</param>
/// <param name="SynchronizationAddress">host:port of the cluster's virt-synchronization-controller, for peers' sendTo.connectURL.</param>
/// <param name="ExportAddress">host[:port] of the cluster's virt-exportproxy as peers reach it, for cold moves' disk imports.</param>
/// <remarks>
/// What each release serves and enforces is read from kubevirt/kubevirt at the release tags
/// (docs/manifests.md, "What is rendered for which KubeVirt release", cites the paths); this record is
/// the one place the compiler asks.
/// </remarks>
public sealed record KubeVirtInstall(Version? Version, ImmutableArray<string> FeatureGates, ImmutableArray<string> DisabledFeatureGates, string? SynchronizationAddress = null, string? ExportAddress = null)
{
    public const string DecentralizedLiveMigrationGate = "DecentralizedLiveMigration";

    /// <summary>Alpha from v1.9.0 (pkg/virt-config/featuregate/active.go): the only way a MigrationPolicy's maxDowntimeMs is accepted and used.</summary>
    public const string MigrationStallDetectionGate = "MigrationStallDetection";

    /// <summary>The oldest release Reconcile renders for: decentralized migration and the APIs it uses appear in v1.6.</summary>
    public static readonly Version OldestSupported = new(1, 6, 0);

    private static readonly Version V1_9 = new(1, 9);

    /// <summary>
    /// Whether decentralized (cross-cluster) live migration is on: alpha from v1.6 to v1.9 (must be
    /// listed in featureGates), beta from v1.10 (on unless listed in disabledFeatureGates).
    /// </summary>
    public bool SupportsDecentralizedMigration =>
        Version is not null && Version >= new Version(1, 6) &&
        !DisabledFeatureGates.Contains(DecentralizedLiveMigrationGate) &&
        (Version >= new Version(1, 10) || FeatureGates.Contains(DecentralizedLiveMigrationGate));

    /// <summary>
    /// export.kubevirt.io version to create VirtualMachineExports with, and the one in the export proxy's
    /// link paths: v1beta1 up to v1.8 (staging/src/kubevirt.io/api/export/v1beta1), v1 from v1.9.0.
    /// </summary>
    public string ExportApiVersion => Version is not null && Version >= V1_9 ? "v1" : "v1beta1";

    /// <summary>
    /// Whether a MigrationPolicy may carry maxDowntimeMs and KubeVirt applies it: the field exists from
    /// v1.9.0, its admitter refuses it unless MigrationStallDetection is on
    /// (pkg/virt-api/webhooks/validating-webhook/admitters/migrationpolicy-admitter.go), and only the
    /// stall detector ever hands it to QEMU (pkg/virt-launcher/virtwrap/live-migration-source.go).
    /// </summary>
    public bool HonoursMaxDowntime =>
        Version is not null && Version >= V1_9 &&
        FeatureGates.Contains(MigrationStallDetectionGate) && !DisabledFeatureGates.Contains(MigrationStallDetectionGate);

    /// <summary>The downtime limit a migration sent from this cluster really gets: the plan's wish, or QEMU's default.</summary>
    public TimeSpan EffectiveMaxDowntime(TimeSpan wanted) => HonoursMaxDowntime ? wanted : Facts.QemuDefaults.MaxDowntime;

    /// <summary>"v1.6.2", or "an undeclared version".</summary>
    public string Describe() => Version is { } v ? $"v{v}" : "an undeclared version";
}

/// <summary>
/// How a cluster isolates KubeVirt's pods (default-deny in the kubevirt namespace), and so what Reconcile
/// must open for migrations there: NetworkPolicy governs the pod network, MultiNetworkPolicy (the
/// k8snetworkplumbingwg implementation) a Multus migration network, which NetworkPolicy never sees.
/// </summary>
public enum NetworkIsolation
{
    NetworkPolicy,
    MultiNetworkPolicy,
}

/// <param name="Ports">Declared by older topologies; KubeVirt's migration proxies listen on random ports, so it is not used (RC3023).</param>
/// <param name="IsolatedBy">What isolates the kubevirt namespace's pods; empty when nothing does.</param>
public sealed record MigrationNetwork(
    string? Network,
    string? Cidr,
    string? Ports,
    ImmutableArray<NetworkIsolation> IsolatedBy,
    bool Tls,
    int Mtu,
    long BandwidthBitsPerSecond,
    int ParallelMigrationsPerCluster,
    int ParallelOutboundMigrationsPerNode);

public sealed record Node(
    string Name,
    string? CpuModel,
    long? MemoryBytes,
    int? Cpu,
    long? HugepagesBytes,
    ImmutableDictionary<string, string> Labels,
    Located Source)
{
    /// <summary>The node has every label of <paramref name="selector"/> (a nodeSelector's meaning).</summary>
    public bool Carries(ImmutableDictionary<string, string> selector)
    {
        // A loop: it runs for every node against every VM's move, where a lambda allocated a closure each time;
        // most moves have no selector, and walking an empty immutable tree still costs an enumerator.
        if (selector.IsEmpty)
        {
            return true;
        }

        foreach (var (key, value) in selector)
        {
            if (!Labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        return true;
    }
}

public sealed record StorageClass(
    string Name,
    ImmutableArray<string> AccessModes,
    string ReclaimPolicy,
    string VolumeBindingMode,
    ImmutableArray<string> SharedWith,
    ImmutableArray<StorageReplication> Replication,
    Located Source)
{
    public StorageReplication? ReplicationTo(string cluster) => Replication.FirstOrDefault(r => r.To == cluster);
}

/// <summary>
/// Asynchronous storage replication of a class's volumes into another cluster, driven through csi-addons
/// (replication.storage.openshift.io/v1alpha1 VolumeReplication; Ceph RBD mirroring and other CSI
/// drivers implement it). The VolumeReplicationClass must exist on both clusters; its scheduling
/// interval is the RPO: the most the replica lags behind.
/// </summary>
public sealed record StorageReplication(string To, string VolumeReplicationClass, TimeSpan Rpo, Located Source);

/// <param name="StreamBitsPerSecond">What one TCP connection reaches over the link (iperf3 -P 1); the aggregate is BandwidthBitsPerSecond (iperf3 -P 8).</param>
/// <param name="TcpWindowBytes">The largest TCP window a connection may use (the senders' net.ipv4.tcp_wmem maximum).</param>
/// <param name="Overhead">The fraction of the bandwidth encryption or a VPN takes (0 to 0.5).</param>
public sealed record Link(
    string A,
    string B,
    bool Directed,
    TimeSpan Latency,
    long BandwidthBitsPerSecond,
    TimeSpan? Jitter,
    double? LossPercent,
    string? Kind,
    bool Encrypted,
    int? Mtu,
    long? StreamBitsPerSecond,
    long? TcpWindowBytes,
    double Overhead,
    Located Source)
{
    /// <summary>Stable id used in the graph: "a~b" (names sorted) for undirected links, "a->b" for directed ones.</summary>
    public string Id => Directed ? $"{A}->{B}" : string.CompareOrdinal(A, B) <= 0 ? $"{A}~{B}" : $"{B}~{A}";

    public bool Carries(string from, string to) =>
        (A == from && B == to) || (!Directed && A == to && B == from);
}
