using System.Collections.Immutable;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Semantics;

/// <summary>
/// Where a moving VM may land on its target, and the node selector that keeps it there. KubeVirt itself
/// pins a named CPU model to nodes labelled cpu-model.node.kubevirt.io/&lt;model&gt; (v1.6.2
/// pkg/virt-controller/services/nodeselectorrenderer.go) and a host-model VM's migration target to its
/// host model; it adds nothing for host-passthrough, so a live-migrated host-passthrough VM must be
/// sent to nodes whose host CPU is the source node's, by the node labeller's
/// host-model-cpu.node.kubevirt.io/&lt;model&gt; label (pkg/virt-handler/node-labeller/node_labeller.go).
/// A cold move boots the VM afresh, so its host CPU may change.
/// </summary>
public static class Placement
{
    public const string HostModelCpuLabelPrefix = "host-model-cpu.node.kubevirt.io/";

    /// <summary>The labels a receiver (or an in-cluster VMIM's addedNodeSelector) must require: the move's, plus the host CPU of a live host-passthrough VM.</summary>
    public static ImmutableSortedDictionary<string, string> NodeSelector(PlanScope scope, Vm vm, Move move, bool live)
    {
        var selector = move.NodeSelector.ToImmutableSortedDictionary(StringComparer.Ordinal);
        if (live && vm.Cpu.Model == VmCpu.HostPassthrough && scope.Cluster(vm.Cluster)?.FindNode(vm.Node)?.CpuModel is { } model)
        {
            selector = selector.SetItem(HostModelCpuLabelPrefix + model, "true");
        }

        return selector;
    }

    /// <summary>Nodes of <paramref name="target"/> matching the move's node selector; an in-cluster move (a drain wave) never lands on the VM's own node nor on a node being drained.</summary>
    public static List<Node> TargetNodes(Vm vm, Move move, Cluster target) =>
        [.. target.Nodes.Where(n => !(move.IsInCluster && (n.Name == vm.Node || move.Select.Nodes.Contains(n.Name))) && n.Carries(move.NodeSelector))];

    /// <summary>
    /// The target nodes a VM can land on: those matching the move's node selector, not the VM's own
    /// node or a drained one on an in-cluster move, and, where the CPU must match, of a CPU it can use.
    /// </summary>
    public static List<Node> Candidates(PlanScope scope, Vm vm, Move move, Cluster target, bool live)
    {
        var nodes = TargetNodes(vm, move, target);
        var sourceModel = scope.Cluster(vm.Cluster)?.FindNode(vm.Node)?.CpuModel;
        var required = vm.Cpu.Model switch
        {
            VmCpu.HostPassthrough or VmCpu.HostModel => live ? sourceModel : null,
            var named => named,
        };
        if (required is null || nodes.All(n => n.CpuModel is null))
        {
            return nodes;
        }

        return vm.Cpu.Model == VmCpu.HostPassthrough
            ? [.. nodes.Where(n => string.Equals(n.CpuModel, required, StringComparison.OrdinalIgnoreCase))]
            : [.. nodes.Where(n => n.CpuModel is { } offered && CpuModels.Compatible(required, offered, scope.Plan.Checks.MaxCpuGenerationGap))];
    }
}
