using Reconcile.Compiler.Diagnostics;

namespace Reconcile.Compiler.Planning;

/// <summary>The staged execution graph of ../shared/design/graph-contract.md; schema/graph.schema.json describes its JSON.</summary>
public sealed record ExecutionGraph(
    string Plan,
    string? Revision,
    string Digest,
    DateTime Start,
    long MakespanSeconds,
    long LowerBoundSeconds,
    LowerBound LowerBound,
    GraphLimits Limits,
    IReadOnlyList<GraphWindow> Windows,
    IReadOnlyList<GraphStage> Stages,
    IReadOnlyList<GraphStep> Steps,
    IReadOnlyList<Diagnostic> Diagnostics);

/// <summary>Effective limits: the plan's parallelism within each cluster's KubeVirt limits; bandwidth in bytes per second.</summary>
public sealed record GraphLimits(
    IReadOnlyDictionary<string, int> PerCluster,
    int PerNode,
    IReadOnlyDictionary<string, int> PerLink,
    IReadOnlyDictionary<string, long> LinkBandwidthBps);

/// <summary>One allow-window occurrence used by the schedule, in UTC, deny windows already cut out.</summary>
public sealed record GraphWindow(string Name, DateTime Start, DateTime End, IReadOnlyList<string> Clusters);

public sealed record GraphStage(string Id, string Name, string? Window, IReadOnlyList<string> DependsOn, IReadOnlyList<string> Steps);

public enum StepKind
{
    Snapshot,
    ReplicateStorage,
    Migrate,
    Verify,
    Gate,
}

public sealed record Endpoint(string Cluster, string? Node);

/// <summary>What the model predicts for a step. Bytes is what crosses the wire; downtime is the guest's pause.</summary>
public sealed record Predicted(long Seconds, long Bytes, int Rounds, long DowntimeMs, bool Converges, StepTransfer? Transfer = null);

/// <summary>How a data-moving step moves its data, so a reviewer can check the prediction.</summary>
public enum TransferMode
{
    /// <summary>A live migration: disks mirrored, then memory in pre-copy rounds.</summary>
    Live,

    /// <summary>Stop, copy every disk through a VirtualMachineExport, start.</summary>
    Cold,

    /// <summary>A staged cut-over over storage replicas: stop, final sync, promote, start.</summary>
    StagedCutover,

    /// <summary>The storage's initial sync of a staged move's disks.</summary>
    Replicate,
}

/// <param name="MemoryConnections">TCP connections carrying memory (0 when no memory is sent).</param>
/// <param name="DiskConnections">TCP connections carrying disks: one per disk.</param>
/// <param name="PerConnectionBytesPerSecond">What one connection reaches on the path (window per round trip, or the link's measured stream rate).</param>
public sealed record StepTransfer(TransferMode Mode, long MemoryBytes, long DiskBytes, int MemoryConnections, int DiskConnections, long PerConnectionBytesPerSecond);

public sealed record GraphStep(
    string Id,
    StepKind Kind,
    string? Vm,
    string? Move,
    Endpoint? From,
    Endpoint? To,
    string? Link,
    string Stage,
    int Priority,
    IReadOnlyList<string> DependsOn,
    DateTime PlannedStart,
    DateTime PlannedEnd,
    long BandwidthBps,
    Predicted Predicted);

/// <summary>
/// The parts of the lower bound on the makespan, each a time no schedule can beat (seconds from the start):
/// the longest chain of one VM's steps behind its dependencies, the busiest link's bytes over its bandwidth,
/// the busiest cluster's work over its slots, each mapped through the window calendar.
/// </summary>
public sealed record LowerBound(long ChainSeconds, long LinkSeconds, long ClusterSeconds, string? BindingResource)
{
    public long Seconds => Math.Max(ChainSeconds, Math.Max(LinkSeconds, ClusterSeconds));
}
