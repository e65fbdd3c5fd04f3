using System.Collections.Immutable;

namespace Reconcile.Compiler.Model;

public sealed record MigrationPlan(
    string Name,
    string Topology,
    ImmutableArray<string>? Inventories,
    DateTimeOffset? NotBefore,
    TimeSpan Horizon,
    bool Suspend,
    bool AllowEmpty,
    ImmutableArray<Move> Moves,
    ImmutableArray<PriorityClass> Priorities,
    ImmutableArray<ConcurrencyGroup> Groups,
    Windows Windows,
    Strategy Strategy,
    Checks Checks,
    ImmutableArray<string> Suppress,
    Located Source);

public enum MoveMode
{
    Live,
    Staged,
    Cold,
}

public sealed record Move(
    string Name,
    string From,
    string To,
    string? Via,
    Selector Select,
    string? TargetNamespace,
    string? TargetStorageClass,
    ImmutableDictionary<string, string> NodeSelector,
    ImmutableArray<string> After,
    MoveMode? Mode,
    Located Source)
{
    public bool IsInCluster => From == To;

    /// <summary>The hops the VM's data takes: from→via→to when staged through a cluster, else from→to.</summary>
    public IEnumerable<(string From, string To)> Hops =>
        Via is null ? [(From, To)] : [(From, Via), (Via, To)];
}

public sealed record Selector(
    ImmutableArray<string> Namespaces,
    ImmutableDictionary<string, string> Labels,
    ImmutableArray<string> Names,
    ImmutableArray<string> Nodes,
    Located Source)
{
    public bool Matches(Vm vm) =>
        (Namespaces.IsEmpty || Namespaces.Contains(vm.Namespace)) &&
        LabelsMatch(vm) &&
        (Names.IsEmpty || Names.Contains(vm.Id)) &&
        (Nodes.IsEmpty || Nodes.Contains(vm.Node));

    // Called for every VM against every selector of a plan (moves, priorities, groups): a loop, where a
    // lambda over the labels allocated a closure and an enumerator per call (33 MiB at 10,000 VMs).
    private bool LabelsMatch(Vm vm)
    {
        // Most selectors name no labels; walking an empty immutable tree still costs an enumerator.
        if (Labels.IsEmpty)
        {
            return true;
        }

        foreach (var (key, value) in Labels)
        {
            if (!vm.Labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        return true;
    }
}

public sealed record PriorityClass(string Name, int Value, Selector? Select, Located Source);

public sealed record ConcurrencyGroup(string Name, Selector Select, int MaxConcurrent, Located Source);

public sealed record Windows(
    string TimeZoneName,
    TimeZoneInfo? TimeZone,
    ImmutableArray<AllowWindow> Allow,
    ImmutableArray<DenyWindow> Deny,
    Located Source);

/// <param name="TimeZone">Resolved zone; null when the name is unknown (already reported).</param>
public sealed record AllowWindow(
    string Name,
    string Cron,
    TimeSpan Duration,
    string TimeZoneName,
    TimeZoneInfo? TimeZone,
    ImmutableArray<string> Clusters,
    Located Source)
{
    public bool AppliesTo(string cluster) => Clusters.IsEmpty || Clusters.Contains(cluster);
}

public sealed record DenyWindow(
    string Name,
    DateTimeOffset? Start,
    DateTimeOffset? End,
    string? Cron,
    TimeSpan? Duration,
    string TimeZoneName,
    TimeZoneInfo? TimeZone,
    ImmutableArray<string> Clusters,
    Located Source)
{
    public bool AppliesTo(string cluster) => Clusters.IsEmpty || Clusters.Contains(cluster);
}

public sealed record Strategy(
    MoveMode Mode,
    TimeSpan MaxDowntime,
    long? BandwidthPerMigrationBitsPerSecond,
    TimeSpan CompletionTimeoutPerGiB,
    TimeSpan ProgressTimeout,
    bool AllowAutoConverge,
    bool AllowPostCopy,
    bool AllowWorkloadDisruption,
    Parallelism Parallelism,
    int Canary,
    Verification Verify,
    FailurePolicy OnFailure,
    int MaxFailures,
    int Retries,
    bool SnapshotBefore,
    bool ReplicateOutsideWindows,
    TimeSpan BootTime,
    Located Source);

/// <summary>strategy.onFailure: what a step that failed for good does to the campaign.</summary>
public enum FailurePolicy
{
    /// <summary>Nothing new starts; running steps finish.</summary>
    Pause,
    /// <summary>Other VMs go on; what depends on the failed step is skipped (up to maxFailures).</summary>
    Continue,
    /// <summary>Nothing new starts, and every finished migration is reversed.</summary>
    Rollback,
}

public sealed record Parallelism(int PerCluster, int PerNode, int PerLink, Located Source);

public sealed record Verification(TimeSpan Timeout, bool GuestAgent);

public sealed record Checks(TimeSpan MaxLiveLatency, bool RequireReadWriteMany, bool RequireRetain, int MaxCpuGenerationGap);

/// <summary>All bound documents of one validation run.</summary>
public sealed record PlanSet(ImmutableArray<Topology> Topologies, ImmutableArray<Inventory> Inventories, ImmutableArray<MigrationPlan> Plans);
