using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>
/// The seed's pre-flight checklist per VM against its target (S10-S17, S20, S23, S25): volumes,
/// CPU model, guest drivers, host devices, dedicated CPUs, memory and hugepages, networks,
/// volume binding, eviction strategy and guest agent.
/// </summary>
public sealed class VmCompatibilityRule : IPlanRule
{
    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        var reportedStorageClasses = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (vm, move) in scope.Assignments)
        {
            // The hop that lands on the target decides: a cold landing boots the VM afresh.
            var live = scope.LiveHops(move).Any(h => h.To == move.To);
            var source = scope.Cluster(vm.Cluster);
            var target = scope.Cluster(move.To);
            CheckGuest(scope, vm, move, live, diagnostics);
            if (source is null || target is null)
            {
                continue;
            }

            CheckVolumes(scope, vm, move, live, source, target, reportedStorageClasses, diagnostics);
            var candidates = TargetNodes(vm, move, target);
            if (candidates.Count > 0)
            {
                CheckCpu(scope, vm, move, live, source, target, candidates, diagnostics);
                CheckCapacity(vm, move, target, Placement.Candidates(scope, vm, move, target, live), diagnostics);
            }

            if (vm.Cpu.Dedicated && target.CpuManagerPolicy != "static")
            {
                diagnostics.Write(DiagnosticCatalog.CpuManagerNotStatic.At(vm.Source.Child("cpu").At("dedicated"),
                    $"VM {vm.Id} has dedicated CPUs, but target cluster {target.Name} runs kubelet with cpuManagerPolicy {target.CpuManagerPolicy}"));
            }

            if (!move.IsInCluster)
            {
                CheckNetworks(vm, move, target, diagnostics);
            }
        }
    }

    private static void CheckGuest(PlanScope scope, Vm vm, Move move, bool live, IDiagnosticWriter diagnostics)
    {
        if (vm.Guest.Os == "windows" && !vm.Guest.Virtio)
        {
            diagnostics.Write(DiagnosticCatalog.WindowsWithoutVirtio.At(vm.Source.Child("guest").At("virtio"),
                $"VM {vm.Id} is a Windows guest without VirtIO drivers"));
        }

        if (live && !vm.HostDevices.IsEmpty)
        {
            diagnostics.Write(DiagnosticCatalog.HostDevices.At(vm.Source.At("hostDevices"),
                $"VM {vm.Id} has host devices ({string.Join(", ", vm.HostDevices)}) and move '{move.Name}' is live"));
        }

        if (live && vm.EvictionStrategy is { } eviction && eviction is not ("LiveMigrate" or "LiveMigrateIfPossible"))
        {
            diagnostics.Write(DiagnosticCatalog.EvictionNotLive.At(vm.Source.At("evictionStrategy"),
                $"VM {vm.Id} has evictionStrategy {eviction}; a node drain would not live-migrate it"));
        }

        if (scope.Plan.Strategy.Verify.GuestAgent && !vm.Guest.Agent)
        {
            diagnostics.Write(DiagnosticCatalog.GuestAgentMissing.At(vm.Source.At("guest"),
                $"the plan verifies moves through the guest agent, but VM {vm.Id} has none"));
        }
    }

    private static void CheckVolumes(PlanScope scope, Vm vm, Move move, bool live, Cluster source, Cluster target,
        HashSet<string> reportedStorageClasses, IDiagnosticWriter diagnostics)
    {
        var checks = scope.Plan.Checks;
        foreach (var volume in vm.Volumes)
        {
            var storageClass = volume.StorageClass is { } name ? source.FindStorageClass(name) : null;
            var accessMode = volume.AccessMode ?? (storageClass?.AccessModes.Contains("ReadWriteMany") == true ? "ReadWriteMany" : storageClass?.AccessModes.FirstOrDefault());
            if (live && checks.RequireReadWriteMany && accessMode is not null && accessMode != "ReadWriteMany")
            {
                diagnostics.Write(DiagnosticCatalog.VolumeNotShared.At(volume.AccessMode is null ? volume.Source.At("storageClass") : volume.Source.At("accessMode"),
                    $"volume {volume.Name} of VM {vm.Id} is {accessMode}; live migration needs ReadWriteMany"));
            }

            var reclaim = volume.ReclaimPolicy ?? storageClass?.ReclaimPolicy;
            if (checks.RequireRetain && reclaim is not null && reclaim != "Retain")
            {
                diagnostics.Write(DiagnosticCatalog.VolumeNotRetain.At(volume.ReclaimPolicy is null ? volume.Source.At("storageClass") : volume.Source.At("reclaimPolicy"),
                    $"volume {volume.Name} of VM {vm.Id} has reclaimPolicy {reclaim}"));
            }

            // Where the disk will live after the move: the same class when the move stays in the cluster,
            // else a new volume on the move's targetStorageClass or the same class name on the target.
            var landing = move.TargetStorageClass ?? volume.StorageClass;
            if (landing is null || move.IsInCluster)
            {
                continue;
            }

            var landingClass = target.FindStorageClass(landing);
            if (landingClass is null && move.TargetStorageClass is null)
            {
                diagnostics.Write(DiagnosticCatalog.UnknownStorageClass.At(volume.Source.At("storageClass"),
                    $"volume {volume.Name} of VM {vm.Id} needs storage class '{landing}' on target cluster {target.Name}; declare it there or set the move's targetStorageClass"));
            }
            else if (landingClass is { VolumeBindingMode: "Immediate" } && reportedStorageClasses.Add(target.Name + "/" + landing))
            {
                diagnostics.Write(DiagnosticCatalog.ImmediateBinding.At(landingClass.Source.At("volumeBindingMode"),
                    $"storage class {landing} on cluster {target.Name} binds volumes Immediately; VMs moved by '{move.Name}' land on it"));
            }
        }
    }

    private static List<Node> TargetNodes(Vm vm, Move move, Cluster target) => Placement.TargetNodes(vm, move, target);

    private static void CheckCpu(PlanScope scope, Vm vm, Move move, bool live, Cluster source, Cluster target, List<Node> candidates, IDiagnosticWriter diagnostics)
    {
        // A VM that boots afresh on the target takes that node's host CPU; only a named model must exist there.
        if (!live && vm.Cpu.Model is VmCpu.HostPassthrough or VmCpu.HostModel)
        {
            return;
        }

        var sourceModel = source.FindNode(vm.Node)?.CpuModel;
        var offered = candidates.Select(n => n.CpuModel).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        if (offered.Count == 0)
        {
            return;
        }

        var at = vm.Source.Child("cpu").At("model");
        if (vm.Cpu.Model == VmCpu.HostPassthrough)
        {
            if (sourceModel is not null && !offered.Contains(sourceModel, StringComparer.OrdinalIgnoreCase))
            {
                diagnostics.Write(DiagnosticCatalog.HostPassthroughMismatch.At(at,
                    $"VM {vm.Id} uses host-passthrough on {sourceModel}; no node of {target.Name} has that CPU (it has {string.Join(", ", offered)})"));
            }

            return;
        }

        var required = vm.Cpu.Model == VmCpu.HostModel ? sourceModel : vm.Cpu.Model;
        var gap = scope.Plan.Checks.MaxCpuGenerationGap;
        if (required is not null && !offered.Any(model => CpuModels.Compatible(required, model, gap)))
        {
            diagnostics.Write(DiagnosticCatalog.CpuIncompatible.At(at,
                $"VM {vm.Id} needs CPU model {required}; nodes of {target.Name} offer {string.Join(", ", offered)}, none the same vendor, not older and at most {gap} generation{(gap == 1 ? "" : "s")} newer"));
        }
    }

    private static void CheckCapacity(Vm vm, Move move, Cluster target, List<Node> candidates, IDiagnosticWriter diagnostics)
    {
        var sized = candidates.Where(n => n.MemoryBytes is not null).ToList();
        if (candidates.Count == 0)
        {
            return; // RC3005 or RC3006 said why no node can take it.
        }

        if (sized.Count > 0 && sized.All(n => n.MemoryBytes < vm.MemoryBytes))
        {
            diagnostics.Write(DiagnosticCatalog.VmDoesNotFit.At(vm.Source.At("memory"),
                $"VM {vm.Id} needs {Quantities.FormatBytes(vm.MemoryBytes)} of memory; the largest node of {target.Name} for move '{move.Name}' has {Quantities.FormatBytes(sized.Max(n => n.MemoryBytes!.Value))}"));
        }

        if (vm.HugepagesBytes is not null && candidates.All(n => (n.HugepagesBytes ?? 0) < vm.MemoryBytes))
        {
            diagnostics.Write(DiagnosticCatalog.VmDoesNotFit.At(vm.Source.At("hugepages"),
                $"VM {vm.Id} backs {Quantities.FormatBytes(vm.MemoryBytes)} with hugepages; no node of {target.Name} has that much hugepage memory"));
        }
    }

    private static void CheckNetworks(Vm vm, Move move, Cluster target, IDiagnosticWriter diagnostics)
    {
        var namespaceOnTarget = move.TargetNamespace ?? vm.Namespace;
        foreach (var network in vm.Networks)
        {
            if (network.Nad is not { } nad)
            {
                continue;
            }

            var qualified = nad.Contains('/') ? nad : $"{namespaceOnTarget}/{nad}";
            var bare = nad.Contains('/') ? nad[(nad.IndexOf('/') + 1)..] : nad;
            if (!target.NetworkAttachmentDefinitions.Any(d => d == qualified || d == bare))
            {
                diagnostics.Write(DiagnosticCatalog.MissingNetworkAttachment.At(network.Source.At("nad"),
                    $"VM {vm.Id} attaches to network {nad}, which target cluster {target.Name} does not have"));
            }
        }
    }
}
