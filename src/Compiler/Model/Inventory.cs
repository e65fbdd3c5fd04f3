using System.Collections.Immutable;

namespace Reconcile.Compiler.Model;

public sealed record Inventory(string Name, string Cluster, ImmutableArray<Vm> Vms, Located Source);

public sealed record Vm(
    string Name,
    string Namespace,
    string Cluster,
    string Node,
    ImmutableDictionary<string, string> Labels,
    long MemoryBytes,
    VmCpu Cpu,
    long DirtyBytesPerSecond,
    Guest Guest,
    string? EvictionStrategy,
    TimeSpan? TerminationGracePeriod,
    long? HugepagesBytes,
    ImmutableArray<Volume> Volumes,
    ImmutableArray<VmNetwork> Networks,
    ImmutableArray<string> HostDevices,
    Located Source)
{
    /// <summary>namespace/name, the id users write in selectors.</summary>
    public string Id => $"{Namespace}/{Name}";

    /// <summary>How long KubeVirt lets the guest shut down before it kills it (its grace period, 30 s unless the VM says).</summary>
    public TimeSpan GracePeriod => TerminationGracePeriod ?? Facts.KubeVirtDefaults.ShutdownGracePeriod;

    /// <summary>How long stopping the VM takes: the guest's measured shutdown, cut off at the grace period.</summary>
    public TimeSpan ShutdownTime => Guest.ShutdownTime is { } measured && measured < GracePeriod ? measured : GracePeriod;
}

/// <param name="Limit">spec.domain.resources.limits.cpu as written (a Kubernetes CPU quantity), if any.</param>
public sealed record VmCpu(int? Cores, string Model, bool Dedicated, string? Limit)
{
    public const string HostModel = "host-model";
    public const string HostPassthrough = "host-passthrough";

    /// <summary>Whether the VMI has a non-zero CPU limit: KubeVirt then sends its memory over one connection.</summary>
    public bool Limited => Limit is { } limit && limit.Any(c => c is >= '1' and <= '9');
}

/// <param name="ShutdownTime">How long the guest takes to power off when asked, as measured (null: unknown, so the grace period).</param>
/// <param name="BootTime">How long from the VMI running to the guest agent connecting, as measured (null: the plan's strategy.bootTime).</param>
public sealed record Guest(string? Os, bool Virtio, bool Agent, TimeSpan? ShutdownTime, TimeSpan? BootTime);

public sealed record Volume(
    string Name,
    string? Claim,
    long SizeBytes,
    string? StorageClass,
    string? AccessMode,
    string? ReclaimPolicy,
    long WriteBytesPerSecond,
    Located Source);

public sealed record VmNetwork(string Name, string? Nad, Located Source);
