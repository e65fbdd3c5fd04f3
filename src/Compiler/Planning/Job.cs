using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Planning;

/// <summary>
/// A data-moving step the scheduler places: it holds migration slots on its clusters, node and link,
/// a share of the link's bandwidth, and (when windowed) must start and end in one window occurrence.
/// </summary>
internal sealed class Job
{
    public required string Id { get; init; }

    public required StepKind Kind { get; init; }

    public required VmPlan Owner { get; init; }

    public required string From { get; init; }

    public required string To { get; init; }

    /// <summary>Source node for the per-node outbound limit; null when the VM's node there is not known yet (after a via hop).</summary>
    public string? Node { get; init; }

    public Link? Link { get; init; }

    public required long BandwidthBps { get; init; }

    public required long Duration { get; init; }

    /// <summary>A century in seconds: durations are capped here (what takes longer never fits a window).</summary>
    public const long Never = 100L * 366 * 24 * 3600;

    public required MigrationPrediction Prediction { get; init; }

    /// <summary>Bytes of disk the step carries (for timeouts and the graph).</summary>
    public double DiskBytes { get; init; }

    /// <summary>How the step moves its data: live, cold, staged cut-over or replicate.</summary>
    public required TransferMode Mode { get; init; }

    /// <summary>The transfer breakdown graph.json carries.</summary>
    public required StepTransfer Transfer { get; init; }

    public required bool Windowed { get; init; }

    public required WindowTable Windows { get; init; }

    /// <summary>Whether a snapshot step runs right before this one (the first migration of a VM, with snapshotBefore).</summary>
    public bool SnapshotBefore { get; init; }

    public Job? Next { get; set; }

    public long Start { get; set; } = -1;

    public long End => Start + Duration;

    public int Occurrence { get; set; } = -1;

    public string Lane => lane ??= From + ">" + To;

    /// <summary>"cluster/node" for the per-node limit, computed once: the scheduler asks for it at every event.</summary>
    public string NodeKey => nodeKey ??= From + "/" + Node;

    private string? lane;
    private string? nodeKey;

    /// <summary>Orders ready jobs: higher priority first, then riskier (longer) first, then by id.</summary>
    public static IComparer<Job> Order { get; } = Comparer<Job>.Create((a, b) =>
    {
        var byPriority = b.Owner.Priority.CompareTo(a.Owner.Priority);
        if (byPriority != 0)
        {
            return byPriority;
        }

        var byRisk = b.Owner.Risk.CompareTo(a.Owner.Risk);
        return byRisk != 0 ? byRisk : string.CompareOrdinal(a.Id, b.Id);
    });
}

/// <summary>One VM's part of the campaign: its chain of jobs and what it waits for.</summary>
internal sealed class VmPlan
{
    public required Vm Vm { get; init; }

    public required Move Move { get; init; }

    public required string Key { get; init; }

    public required MoveMode Mode { get; init; }

    public required int Priority { get; init; }

    /// <summary>Predicted seconds of the whole chain alone on its bandwidth; orders work (longest first) and picks the canary (shortest).</summary>
    public required long Risk { get; init; }

    public required int[] Groups { get; init; }

    /// <summary>Predicted seconds of the verify step: the guest's boot after a cold landing, else <see cref="Planner.VerifySeconds"/>.</summary>
    public required long VerifySeconds { get; init; }

    public List<Job> Jobs { get; } = [];

    public bool Canary { get; set; }

    public string Stage { get; set; } = "";

    /// <summary>Gates that wait for this VM to be verified.</summary>
    public List<Gate> Notifies { get; } = [];

    /// <summary>Gates that must open before the first job is ready.</summary>
    public List<Gate> WaitsFor { get; } = [];

    public int GatesPending { get; set; }

    public long ReadyAt { get; set; }

    /// <summary>End of the verify step; -1 while not done.</summary>
    public long Done { get; set; } = -1;

    public string? Unscheduled { get; set; }
}

/// <summary>A point the campaign waits at: the canary stage, or a move's `after` dependencies.</summary>
internal sealed class Gate(string id, string stage)
{
    public string Id { get; } = id;

    public string Stage { get; } = stage;

    public List<VmPlan> Waits { get; } = [];

    public List<VmPlan> Releases { get; } = [];

    public int Pending { get; set; }

    public long Time { get; set; }

    public bool Open { get; set; }
}
