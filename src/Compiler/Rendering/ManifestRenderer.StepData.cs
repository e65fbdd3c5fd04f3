using Reconcile.Compiler.Facts;
using System.Globalization;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Semantics;
using Scriban;
using Scriban.Functions;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Reconcile.Compiler.Rendering;

/// <summary>The data of the objects a step creates: receivers, VolumeReplications, exports.</summary>
public sealed partial class ManifestRenderer
{
    /// <summary>One VolumeReplication per disk of <paramref name="vm"/>, named after its claim, with the class its storage class declares into <paramref name="to"/>.</summary>
    private static IEnumerable<(string Template, string Variable, ScriptObject Data)> Replications(PlanScope scope, Vm vm, Move move, string from, string to, string ns,
        SortedDictionary<string, string> labels, string state, bool patch) =>
        vm.Volumes.OrderBy(v => v.Name, StringComparer.Ordinal).Select(volume => ("volumereplication.yaml.sbn", "replication", new ScriptObject
        {
            ["name"] = ClaimOf(vm, volume),
            ["namespace"] = ns,
            ["labels"] = Pairs(labels),
            ["claim"] = ClaimOf(vm, volume),
            ["class"] = volume.StorageClass is { } sc ? scope.Cluster(from)?.FindStorageClass(sc)?.ReplicationTo(to)?.VolumeReplicationClass : null,
            ["state"] = state,
            ["patch"] = patch,
        }));

    /// <summary>A VirtualMachineExport on <paramref name="cluster"/>, in the export.kubevirt.io version its release serves.</summary>
    private static ScriptObject Export(PlanScope scope, string cluster, string name, string ns, SortedDictionary<string, string> labels, string sourceGroup, string sourceKind, string sourceName) => new()
    {
        ["api_version"] = "export.kubevirt.io/" + scope.Cluster(cluster)!.KubeVirt.ExportApiVersion,
        ["name"] = name,
        ["namespace"] = ns,
        ["labels"] = Pairs(labels),
        ["source_group"] = sourceGroup,
        ["source_kind"] = sourceKind,
        ["source_name"] = sourceName,
        ["token_secret"] = ExportTokenSecret(name),
        ["ttl"] = "24h",
    };

    /// <summary>The Secret an export's token lives in (its tokenSecretRef).</summary>
    private static string ExportTokenSecret(string export) => KubernetesName.Of(export, "token");

    /// <summary>Where the source's virt-exportproxy serves an export's volumes (kubevirt.exportAddress, RC3019).</summary>
    /// <remarks>The path carries the export API version (pkg/storage/export/export/links.go, externalUrlLinkFormat).</remarks>
    private static string ExportVolumesUrl(PlanScope scope, string cluster, string ns, string export) =>
        $"https://{scope.Cluster(cluster)?.KubeVirt.ExportAddress}/api/export.kubevirt.io/{scope.Cluster(cluster)?.KubeVirt.ExportApiVersion}/namespaces/{ns}/virtualmachineexports/{export}/volumes";

    /// <param name="import">For a cold move: the source export's volume URL prefix, the header secret for its token and the ConfigMap for its CA.</param>
    /// <param name="replicas">For a staged cut-over: the disks are the replicas the storage presents under the claims' names.</param>
    private static ScriptObject ReceiverVm(PlanScope scope, Vm vm, Move move, string from, string to, string ns, (string UrlPrefix, string HeaderSecret, string CaConfigMap)? import = null, bool replicas = false)
    {
        // Every disk needs a volume on the target: a blank DataVolume the migration fills (KubeVirt mirrors
        // every disk into the receiver's volumes), one importing the export (cold), or the replica (staged).
        var volumes = new ScriptArray();
        var blanks = new ScriptArray();
        foreach (var volume in vm.Volumes.OrderBy(v => v.Name, StringComparer.Ordinal))
        {
            var blank = !replicas && MigrationEstimator.CopiesDisk(from, to);
            var claim = ClaimOf(vm, volume);
            var data = new ScriptObject
            {
                ["import_url"] = import is { } i && blank ? $"{i.UrlPrefix}/{claim}/disk.img.gz" : null,
                ["header_secret"] = import?.HeaderSecret,
                ["cert_config_map"] = import?.CaConfigMap,
                ["name"] = volume.Name,
                ["claim"] = claim,
                ["blank"] = blank,
                ["size"] = volume.SizeBytes.ToString(CultureInfo.InvariantCulture),
                ["storage_class"] = move.TargetStorageClass ?? volume.StorageClass,
            };
            volumes.Add(data);
            if (blank)
            {
                blanks.Add(data);
            }
        }

        var networks = new ScriptArray();
        foreach (var network in vm.Networks.IsEmpty ? [new VmNetwork("default", null, vm.Source)] : vm.Networks)
        {
            networks.Add(new ScriptObject { ["name"] = network.Name, ["nad"] = network.Nad });
        }

        var templateLabels = new SortedDictionary<string, string>(vm.Labels, StringComparer.Ordinal);
        foreach (var (key, value) in Conventions.OwnedLabels(scope.Plan.Name, move.Name).Where(l => l.Key.StartsWith(Conventions.LabelPrefix, StringComparison.Ordinal)))
        {
            templateLabels[key] = value;
        }

        return new ScriptObject
        {
            ["name"] = vm.Name,
            ["namespace"] = ns,
            ["run_strategy"] = import is null && !replicas ? "WaitAsReceiver" : "Always",
            ["labels"] = Pairs(Conventions.OwnedLabels(scope.Plan.Name, move.Name)),
            ["template_labels"] = Pairs(templateLabels),
            ["eviction_strategy"] = vm.EvictionStrategy,
            ["node_selector"] = Pairs(Placement.NodeSelector(scope, vm, move, live: import is null && !replicas)),
            ["cores"] = vm.Cpu.Cores ?? 1,
            ["cpu_model"] = vm.Cpu.Model,
            ["dedicated"] = vm.Cpu.Dedicated,
            ["memory"] = vm.MemoryBytes.ToString(CultureInfo.InvariantCulture),
            ["hugepages"] = vm.HugepagesBytes is { } pages ? pages == 1024L * 1024 * 1024 ? "1Gi" : pages == 2L * 1024 * 1024 ? "2Mi" : pages.ToString(CultureInfo.InvariantCulture) : null,
            ["volumes"] = volumes,
            ["blank_volumes"] = blanks,
            ["networks"] = networks,
        };
    }
}
