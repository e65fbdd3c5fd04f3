using System.Collections.Immutable;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler.Execution;

/// <summary>A concurrency group of the plan and the VMs (namespace/name) it holds.</summary>
public sealed record GroupLimit(string Name, int MaxConcurrent, IReadOnlySet<string> Vms);

/// <summary>
/// How the reconciler runs a plan, typed: what a failure does, how often a step is retried, when
/// replication may run, what verify waits for, the windows and the concurrency groups.
/// </summary>
public sealed record RunPolicy(
    FailurePolicy OnFailure,
    int Retries,
    int MaxFailures,
    bool Suspend,
    bool AllowEmpty,
    DateTimeOffset? NotBefore,
    bool ReplicateOutsideWindows,
    bool VerifyGuestAgent,
    Windows Windows,
    ImmutableArray<GroupLimit> Groups)
{
    /// <summary>The run policy of the scope's plan (the scope already worked out which VMs the plan reads).</summary>
    public static RunPolicy Of(PlanScope scope)
    {
        var plan = scope.Plan;
        var groups = plan.Groups.Select(g => new GroupLimit(g.Name, g.MaxConcurrent,
            scope.Vms.Where(g.Select.Matches).Select(v => v.Id).ToHashSet(StringComparer.Ordinal))).ToImmutableArray();
        var strategy = plan.Strategy;
        return new RunPolicy(strategy.OnFailure, strategy.Retries, strategy.MaxFailures, plan.Suspend, plan.AllowEmpty, plan.NotBefore,
            strategy.ReplicateOutsideWindows, strategy.Verify.GuestAgent, plan.Windows, groups);
    }
}

/// <summary>
/// One plan as the compiler hands it to the reconciler: the graph, the run policy, each step's manifest
/// (objects with roles, and the objects that reverse it), the plan's moves (where each VM's objects live)
/// and its folder in the output tree.
/// </summary>
public sealed record CompiledPlan(
    ExecutionGraph Graph,
    RunPolicy Policy,
    IReadOnlyDictionary<string, StepManifest> Manifests,
    ImmutableArray<Move> Moves,
    string Prefix)
{
    public string Name => Graph.Plan;

    public StepManifest Manifest(string stepId) => Manifests[stepId];
}
