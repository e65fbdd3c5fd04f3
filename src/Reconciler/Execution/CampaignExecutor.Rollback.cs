using System.Text.Json.Nodes;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Clusters;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// strategy.onFailure: Rollback — once a step has failed for good, nothing new starts and every
/// migration that already finished is reversed, newest first, one hop at a time per VM: inside a
/// cluster a VMIM back to the VM's original node; across clusters a decentralized migration back
/// (the original VM becomes the receiver again); a cold move by stopping the VM on the target and
/// starting the original, which is still there, stopped, with its disks. Each reversal is a step "rollback-&lt;step id&gt;" in
/// the MigrationRun, so a restart carries on where it stopped.
/// </summary>
public sealed partial class CampaignExecutor
{
    private const string RollbackPrefix = "rollback-";

    private static bool IsRollback(string id) => id.StartsWith(RollbackPrefix, StringComparison.Ordinal);

    private async Task RollBackAsync(Dictionary<string, StepState> state, DateTime now, PassEvents events, CancellationToken cancel)
    {
        var migrated = campaign.Graph.Steps
            .Where(s => s.Kind == StepKind.Migrate && state[s.Id].Phase == StepPhase.Succeeded)
            .OrderByDescending(s => state[s.Id].EndTime).ThenByDescending(s => s.Id, StringComparer.Ordinal)
            .ToList();
        foreach (var step in migrated)
        {
            var id = RollbackPrefix + step.Id;
            if (state.TryGetValue(id, out var rollback))
            {
                if (rollback.Phase == StepPhase.Running)
                {
                    state[id] = await ObserveRollbackAsync(step, rollback, now, events, cancel);
                }

                continue;
            }

            // One hop at a time per VM: its later hops go back first.
            if (migrated.Any(m => m.Vm == step.Vm && state[m.Id].EndTime > state[step.Id].EndTime &&
                                  (!state.TryGetValue(RollbackPrefix + m.Id, out var later) || later.Phase != StepPhase.Succeeded)))
            {
                continue;
            }

            // The graph's per-cluster limits hold for migrations back too.
            var running = migrated.Where(m => state.TryGetValue(RollbackPrefix + m.Id, out var r) && r.Phase == StepPhase.Running).ToList();
            if (new[] { step.From!.Cluster, step.To!.Cluster }.Distinct().Any(c => campaign.Graph.Limits.PerCluster.TryGetValue(c, out var max) &&
                    running.Count(m => m.From!.Cluster == c || m.To!.Cluster == c) >= max))
            {
                continue;
            }

            state[id] = new StepState(id, StepPhase.Running, 1, now, Stage: "rollback", Kind: "rollback");
            await PersistStepAsync(state, cancel);
            await CreateRollbackAsync(step, cancel);
            events.Add("StepStarted", false, $"started {id} (migrating {step.Vm} back to {step.From!.Cluster}{(step.From.Node is { } n ? "/" + n : "")})");
        }
    }

    private string RollbackName(GraphStep step) => KubernetesName.Of(campaign.Plan.Name, RollbackPrefix + step.Id);

    private JsonObject RollbackLabels(GraphStep step) => new()
    {
        ["app.kubernetes.io/managed-by"] = "reconcile",
        ["migration.reconcile.dev/plan"] = KubernetesName.Of(campaign.Plan.Name),
        ["migration.reconcile.dev/step"] = KubernetesName.Of(RollbackPrefix + step.Id),
    };

    private bool IsCold(GraphStep step) => !StepObjects(step).Any(o => o.Objects.Any(x => Kind(x) == "VirtualMachineInstanceMigration"));

    private JsonObject RunStrategy(string vm, string ns, string strategy) => new()
    {
        ["apiVersion"] = "kubevirt.io/v1",
        ["kind"] = "VirtualMachine",
        ["metadata"] = new JsonObject { ["name"] = vm, ["namespace"] = ns, ["annotations"] = new JsonObject { [KubernetesGateway.ApplyAnnotation] = "patch" } },
        ["spec"] = new JsonObject { ["runStrategy"] = strategy },
    };

    private async Task CreateRollbackAsync(GraphStep step, CancellationToken cancel)
    {
        var (vmNs, vm) = VmOf(step);
        var name = RollbackName(step);
        var original = step.From!.Cluster;
        var current = step.To!.Cluster;
        if (IsCold(step))
        {
            // The copy on the target stops; the original, halted with its disks, gets back the run strategy it had.
            var halted = await clusters[original].GetAsync("kubevirt.io/v1", "VirtualMachine", TargetNamespace(step, original, vmNs), vm, cancel);
            await clusters[current].ApplyAsync(RunStrategy(vm, TargetNamespace(step, current, vmNs), "Halted"), cancel);
            // Never two running copies of one guest: the original starts only once the copy's guest is off.
            if (await clusters[current].GetAsync("kubevirt.io/v1", "VirtualMachineInstance", TargetNamespace(step, current, vmNs), vm, cancel) is not null ||
                !await ReplicasBackAsync(step, current, original, TargetNamespace(step, current, vmNs), vm, cancel))
            {
                return;
            }

            await clusters[original].ApplyAsync(RunStrategy(vm, TargetNamespace(step, original, vmNs), halted is null ? "Always" : ReceiverDerivation.RunStrategyOf(halted)), cancel);
            return;
        }

        if (original == current)
        {
            var spec = new JsonObject { ["vmiName"] = vm };
            if (step.From.Node is { } node)
            {
                spec["addedNodeSelector"] = new JsonObject { ["kubernetes.io/hostname"] = node };
            }

            await clusters[original].ApplyAsync(Migration(name, TargetNamespace(step, original, vmNs), spec, step), cancel);
            return;
        }

        // The original VM waits as receiver again; the running one is sent back to it and then runs as the moved copy did.
        var originalNs = TargetNamespace(step, original, vmNs);
        var moved = await clusters[current].GetAsync("kubevirt.io/v1", "VirtualMachine", TargetNamespace(step, current, vmNs), vm, cancel);
        await clusters[original].ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "kubevirt.io/v1",
            ["kind"] = "VirtualMachine",
            ["metadata"] = new JsonObject
            {
                ["name"] = vm,
                ["namespace"] = originalNs,
                ["annotations"] = new JsonObject
                {
                    [ReceiverDerivation.RestoreRunStrategyAnnotation] = moved is null ? "Always" : ReceiverDerivation.RunStrategyOf(moved),
                    [KubernetesGateway.ApplyAnnotation] = "patch",
                },
            },
            ["spec"] = new JsonObject { ["runStrategy"] = "WaitAsReceiver" },
        }, cancel);
        // The receiving VMIM is admitted only once the receiver's VMI exists; the next pass goes on.
        if (await clusters[original].GetAsync("kubevirt.io/v1", "VirtualMachineInstance", originalNs, vm, cancel) is null)
        {
            return;
        }

        await clusters[original].ApplyAsync(Migration(name, originalNs, new JsonObject { ["vmiName"] = vm, ["receive"] = new JsonObject { ["migrationID"] = name } }, step), cancel);
        var kubevirt = await clusters[original].GetAsync("kubevirt.io/v1", "KubeVirt", "kubevirt", "kubevirt", cancel);
        var address = kubevirt?["status"]?["synchronizationAddresses"]?.AsArray().FirstOrDefault()?.GetValue<string>() ?? "";
        await clusters[current].ApplyAsync(Migration(name, TargetNamespace(step, current, vmNs),
            new JsonObject { ["vmiName"] = vm, ["sendTo"] = new JsonObject { ["migrationID"] = name, ["connectURL"] = address } }, step), cancel);
    }

    /// <summary>
    /// A staged cut-over's replicas turned back, in the order ReplicaGate keeps forward: once the copy's VMI
    /// is gone, the target replicas are demoted, and once they are Secondary the original's promoted. True
    /// when the original's replicas are Primary again (or the step has none); each pass goes as far as it may.
    /// </summary>
    private async Task<bool> ReplicasBackAsync(GraphStep step, string current, string original, string currentNs, string vm, CancellationToken cancel)
    {
        var objects = StepObjects(step).ToList();
        var (currentReplicas, originalReplicas) = (ReplicaGate.Replications(objects, current).ToList(), ReplicaGate.Replications(objects, original).ToList());
        if (currentReplicas.Count == 0)
        {
            return true;
        }

        if (await clusters[current].GetAsync("kubevirt.io/v1", "VirtualMachineInstance", currentNs, vm, cancel) is not null)
        {
            return false;
        }

        foreach (var replication in currentReplicas)
        {
            await clusters[current].ApplyAsync(WithState(replication, "secondary"), cancel);
        }

        if (!await replicaGate.AllAsync(current, currentReplicas, "Secondary", cancel))
        {
            return false;
        }

        foreach (var replication in originalReplicas)
        {
            await clusters[original].ApplyAsync(WithState(replication, "primary"), cancel);
        }

        return await replicaGate.AllAsync(original, originalReplicas, "Primary", cancel);
    }

    private static JsonObject WithState(JsonObject replication, string state)
    {
        var copy = (JsonObject)replication.DeepClone();
        copy["spec"]!["replicationState"] = state;
        return copy;
    }

    private JsonObject Migration(string name, string ns, JsonObject spec, GraphStep step) => new()
    {
        ["apiVersion"] = "kubevirt.io/v1",
        ["kind"] = "VirtualMachineInstanceMigration",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = RollbackLabels(step) },
        ["spec"] = spec,
    };

    private async Task<StepState> ObserveRollbackAsync(GraphStep step, StepState rollback, DateTime now, PassEvents events, CancellationToken cancel)
    {
        var (vmNs, vmName) = VmOf(step);
        if (IsCold(step))
        {
            var original = step.From!.Cluster;
            var vmi = await clusters[original].GetAsync("kubevirt.io/v1", "VirtualMachineInstance", TargetNamespace(step, original, vmNs), vmName, cancel);
            if (vmi?["status"]?["phase"]?.GetValue<string>() != "Running")
            {
                // Idempotent: a staged cut-over's replicas turn back over several passes.
                await CreateRollbackAsync(step, cancel);
                return rollback;
            }

            events.Add("StepFinished", false, $"finished {rollback.Id}");
            return rollback with { Phase = StepPhase.Succeeded, EndTime = now };
        }

        // The migration that moves the VM: in its current cluster (the sender, for a decentralized one).
        var cluster = step.To!.Cluster;
        var vmim = await clusters[cluster].GetAsync("kubevirt.io/v1", "VirtualMachineInstanceMigration", TargetNamespace(step, cluster, vmNs), RollbackName(step), cancel);
        switch (vmim?["status"]?["phase"]?.GetValue<string>())
        {
            case "Succeeded":
                events.Add("StepFinished", false, $"finished {rollback.Id}");
                return rollback with { Phase = StepPhase.Succeeded, EndTime = now };
            case "Failed":
                var reason = vmim["status"]?["migrationState"]?["failureReason"]?.GetValue<string>() ?? "the migration back failed";
                events.Add("StepFailed", true, $"{rollback.Id} failed ({reason}); {step.Vm} stays in {cluster}");
                return rollback with { Phase = StepPhase.Failed, EndTime = now, Message = reason };
            case null when vmim is null:
                await CreateRollbackAsync(step, cancel);
                return rollback;
            default:
                return rollback;
        }
    }
}
