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
    long? HugepagesBytes,
    ImmutableArray<Volume> Volumes,
    ImmutableArray<VmNetwork> Networks,
    ImmutableArray<string> HostDevices,
    Located Source)
{
    /// <summary>namespace/name, the id users write in selectors.</summary>
    public string Id => $"{Namespace}/{Name}";
}

public sealed record VmCpu(int? Cores, string Model, bool Dedicated)
{
    public const string HostModel = "host-model";
    public const string HostPassthrough = "host-passthrough";
}

public sealed record Guest(string? Os, bool Virtio, bool Agent);

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
