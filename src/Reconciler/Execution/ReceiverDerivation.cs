using System.Text.Json.Nodes;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// The VirtualMachine a step creates on the target, derived at step start from the live source VM, as
/// KubeVirt's user guide builds a decentralized-migration receiver from the bulk of the source: its
/// machine type, firmware identity, resources, devices, NICs (with MAC addresses), instancetype and
/// everything else stay; only what must change comes from the rendered receiver: name and namespace, the
/// run strategy, the disks (the target's DataVolumes), the Multus networks, the node selector and
/// Reconcile's labels. The source's own run strategy is restored after a live move
/// (kubevirt.io/restore-run-strategy, v1.6.2 pkg/virt-controller/watch/vm/vm.go) and kept by a cold one.
/// </summary>
public static class ReceiverDerivation
{
    /// <summary>Where the reconciler keeps a VM's run strategy while a cold move has it Halted.</summary>
    public const string OriginalRunStrategyAnnotation = Compiler.Facts.Conventions.OriginalRunStrategyAnnotation;

    public const string RestoreRunStrategyAnnotation = "kubevirt.io/restore-run-strategy";

    private const string WaitAsReceiver = "WaitAsReceiver";

    private static readonly string[] ServerFields = ["uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "ownerReferences", "finalizers", "selfLink"];

    /// <summary>The run strategy a VM had before Reconcile touched it.</summary>
    public static string RunStrategyOf(JsonObject vm) =>
        vm["metadata"]?["annotations"]?[OriginalRunStrategyAnnotation]?.GetValue<string>()
        ?? vm["spec"]?["runStrategy"]?.GetValue<string>()
        ?? (vm["spec"]?["running"]?.GetValue<bool>() == true ? "Always" : "Halted");

    /// <summary>The receiver, or the reason it cannot be built (the source VM has a disk the plan does not copy).</summary>
    public static (JsonObject? Vm, string? Problem) Derive(JsonObject source, JsonObject rendered)
    {
        var vm = (JsonObject)source.DeepClone();
        vm.Remove("status");
        var metadata = (JsonObject)vm["metadata"]!;
        foreach (var field in ServerFields)
        {
            metadata.Remove(field);
        }

        metadata["name"] = rendered["metadata"]!["name"]!.DeepClone();
        metadata["namespace"] = rendered["metadata"]!["namespace"]!.DeepClone();
        metadata["labels"] = Merge(metadata["labels"], rendered["metadata"]?["labels"]);
        var annotations = new JsonObject();
        foreach (var (key, value) in metadata["annotations"]?.AsObject() ?? [])
        {
            // KubeVirt's and Reconcile's own bookkeeping belong to the source object (a copied apply: patch marker would
            // make the receiver a patch); kubectl's last-applied copy would describe the source.
            if (!key.StartsWith("kubevirt.io/", StringComparison.Ordinal) && !key.StartsWith(Compiler.Facts.Conventions.LabelPrefix, StringComparison.Ordinal) &&
                key != "kubectl.kubernetes.io/last-applied-configuration")
            {
                annotations[key] = value?.DeepClone();
            }
        }

        var spec = (JsonObject)vm["spec"]!;
        var strategy = rendered["spec"]!["runStrategy"]!.GetValue<string>();
        var own = RunStrategyOf(source);
        spec.Remove("running");
        if (strategy == WaitAsReceiver)
        {
            spec["runStrategy"] = WaitAsReceiver;
            annotations[RestoreRunStrategyAnnotation] = own;
        }
        else
        {
            spec["runStrategy"] = own;
        }

        metadata["annotations"] = annotations.Count == 0 ? null : annotations;
        if (metadata["annotations"] is null)
        {
            metadata.Remove("annotations");
        }

        // The target's disks: the rendered DataVolumeTemplates replace the source's, whose sources are the source cluster's.
        if (rendered["spec"]?["dataVolumeTemplates"] is JsonArray templates)
        {
            spec["dataVolumeTemplates"] = templates.DeepClone();
        }
        else
        {
            spec.Remove("dataVolumeTemplates");
        }

        var template = (JsonObject)(spec["template"] ??= new JsonObject());
        var templateMetadata = (JsonObject)(template["metadata"] ??= new JsonObject());
        templateMetadata["labels"] = Merge(templateMetadata["labels"], rendered["spec"]?["template"]?["metadata"]?["labels"]);
        var templateSpec = (JsonObject)(template["spec"] ??= new JsonObject());
        var renderedSpec = rendered["spec"]?["template"]?["spec"];
        if (ReplaceDisks(templateSpec, renderedSpec) is { } problem)
        {
            return (null, problem);
        }

        ReplaceMultusNetworks(templateSpec, renderedSpec);
        if (Merge(templateSpec["nodeSelector"], renderedSpec?["nodeSelector"]) is { Count: > 0 } selector)
        {
            templateSpec["nodeSelector"] = selector;
        }

        return (vm, null);
    }

    private static JsonObject Merge(JsonNode? ours, JsonNode? theirs)
    {
        var merged = ours is JsonObject o ? (JsonObject)o.DeepClone() : new JsonObject();
        foreach (var (key, value) in theirs?.AsObject() ?? [])
        {
            merged[key] = value?.DeepClone();
        }

        return merged;
    }

    /// <summary>Disk-backed volumes (PVC, DataVolume) become the rendered ones of the same name; others (cloud-init, container disks, ConfigMaps) stay.</summary>
    private static string? ReplaceDisks(JsonObject spec, JsonNode? rendered)
    {
        var target = (rendered?["volumes"]?.AsArray() ?? []).OfType<JsonObject>().ToDictionary(v => v["name"]!.GetValue<string>(), StringComparer.Ordinal);
        var volumes = new JsonArray();
        foreach (var volume in (spec["volumes"]?.AsArray() ?? []).OfType<JsonObject>())
        {
            var name = volume["name"]!.GetValue<string>();
            var diskBacked = volume["persistentVolumeClaim"] is not null || volume["dataVolume"] is not null;
            if (!diskBacked)
            {
                volumes.Add(volume.DeepClone());
            }
            else if (target.Remove(name, out var replacement))
            {
                volumes.Add(replacement.DeepClone());
            }
            else
            {
                return $"the source VM has volume {name}, which the plan's Inventory does not list, so no disk would receive it; re-export the Inventory";
            }
        }

        foreach (var missing in target.Values)
        {
            volumes.Add(missing.DeepClone());
        }

        spec["volumes"] = volumes;
        return null;
    }

    /// <summary>A Multus network keeps its name (the interfaces refer to it) and takes the target's attachment.</summary>
    private static void ReplaceMultusNetworks(JsonObject spec, JsonNode? rendered)
    {
        var attachments = (rendered?["networks"]?.AsArray() ?? []).OfType<JsonObject>()
            .Where(n => n["multus"] is not null).ToDictionary(n => n["name"]!.GetValue<string>(), n => n["multus"]!, StringComparer.Ordinal);
        foreach (var network in (spec["networks"]?.AsArray() ?? []).OfType<JsonObject>())
        {
            if (network["multus"] is not null && attachments.TryGetValue(network["name"]!.GetValue<string>(), out var multus))
            {
                network["multus"] = multus.DeepClone();
            }
        }
    }
}
