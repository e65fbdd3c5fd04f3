using System.Text.Json.Nodes;
using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Planning;
using Reconcile.Reconciler.Clusters;

namespace Reconcile.Reconciler.Execution;

/// <summary>What every step driver works with: the campaign, the clusters, and why a step could not be made.</summary>
internal sealed class StepContext(CompiledCampaign campaign, IReadOnlyDictionary<string, IClusterGateway> clusters)
{
    public CompiledCampaign Campaign { get; } = campaign;

    public IReadOnlyDictionary<string, IClusterGateway> Clusters { get; } = clusters;

    /// <summary>Why a step's objects could not be made; the next observation fails the step with it.</summary>
    public Dictionary<string, string> Problems { get; } = new(StringComparer.Ordinal);

    public Task<JsonObject?> GetAsync(PlacedObject placed, CancellationToken cancel) =>
        Clusters[placed.Cluster].GetAsync(placed.ApiVersion, placed.Kind, placed.Namespace, placed.Name, cancel);

    public async Task ApplyAsync(PlacedObject placed, CancellationToken cancel)
    {
        if (placed.Namespace is { } ns)
        {
            await Clusters[placed.Cluster].EnsureNamespaceAsync(ns, cancel);
        }

        await Clusters[placed.Cluster].ApplyAsync(placed.Object, cancel);
    }

    /// <summary>
    /// Deletes the live object of <paramref name="placed"/>'s name only when this plan made it (its labels say
    /// so): a VM or VMIM of the same name that someone else owns is never deleted.
    /// </summary>
    public async Task DeleteAsync(PlacedObject placed, CancellationToken cancel)
    {
        if (await GetAsync(placed, cancel) is { } live && OwnedByThisPlan(live, placed.Object))
        {
            await Clusters[placed.Cluster].DeleteAsync(placed.ApiVersion, placed.Kind, placed.Namespace, placed.Name, cancel);
        }
    }

    /// <summary>The step's VM (its VirtualMachine or VirtualMachineInstance) in <paramref name="cluster"/>.</summary>
    public Task<JsonObject?> VmAsync(GraphStep step, string cluster, string kind, CancellationToken cancel) =>
        Clusters[cluster].GetAsync("kubevirt.io/v1", kind, Campaign.NamespaceOn(step, cluster), CompiledCampaign.VmOf(step).Name, cancel);

    /// <summary>The step's VMI in its target cluster (the source's, for steps on one cluster), if it is running.</summary>
    public async Task<JsonObject?> RunningVmiAtTargetAsync(GraphStep step, CancellationToken cancel)
    {
        var vmi = await VmAsync(step, step.To?.Cluster ?? step.From!.Cluster, "VirtualMachineInstance", cancel);
        return vmi?["status"]?["phase"]?.GetValue<string>() == "Running" ? vmi : null;
    }

    /// <summary>Whether the VM runs where the step takes it: in the target cluster, and inside one cluster off its source node.</summary>
    public async Task<bool> VmRunsAtTargetAsync(GraphStep step, CancellationToken cancel)
    {
        if (await RunningVmiAtTargetAsync(step, cancel) is not { } vmi)
        {
            return false;
        }

        return step.From is null || step.From.Cluster != (step.To?.Cluster ?? step.From.Cluster) || step.From.Node is null ||
               vmi["status"]?["nodeName"]?.GetValue<string>() != step.From.Node;
    }

    /// <summary>
    /// The receiver VM built from the live source VM (ReceiverDerivation: machine, firmware, devices and
    /// MACs kept; disks, networks and placement from the rendered one); the rendered one when the source is gone.
    /// </summary>
    public async Task<(JsonObject? Vm, string? Problem)> ReceiverAsync(GraphStep step, PlacedObject receiver, CancellationToken cancel)
    {
        // A VM of that name in the target that this plan did not make is someone else's: never taken over.
        if (await GetAsync(receiver, cancel) is { } existing && !OwnedByThisPlan(existing, receiver.Object))
        {
            return (null, $"VirtualMachine {receiver.Namespace}/{receiver.Name} already exists in cluster {receiver.Cluster} and is not this plan's " +
                $"(no {Conventions.ManagedByLabel}={Conventions.ManagedBy} and {Conventions.PlanLabel} labels of it); nothing was changed: rename or remove that VM, or move this one to another namespace");
        }

        var source = await VmAsync(step, step.From!.Cluster, "VirtualMachine", cancel);
        return source is null ? (receiver.Object, null) : ReceiverDerivation.Derive(source, receiver.Object);
    }

    private static bool OwnedByThisPlan(JsonObject existing, JsonObject rendered) =>
        existing["metadata"]?["labels"]?[Conventions.ManagedByLabel]?.GetValue<string>() == Conventions.ManagedBy &&
        existing["metadata"]?["labels"]?[Conventions.PlanLabel]?.GetValue<string>() is { } plan &&
        plan == rendered["metadata"]?["labels"]?[Conventions.PlanLabel]?.GetValue<string>();
}
