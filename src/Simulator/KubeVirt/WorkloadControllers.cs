using System.Globalization;
using System.Text.Json.Nodes;
using Reconcile.Simulator.Api;
using Reconcile.Simulator.World;

namespace Reconcile.Simulator.KubeVirt;

/// <summary>
/// The other KubeVirt and CDI controllers Reconcile's steps rely on, simplified: snapshots become
/// ready, exports serve their volumes, DataVolumes import at the bandwidth of the path from the
/// exporting cluster, and a VM's run strategy starts or stops its VMI (once its DataVolumes are
/// imported). Durations are simulated seconds.
/// </summary>
public sealed class WorkloadControllers(SimulatedWorld world)
{
    public const double SnapshotSeconds = 5;
    public const double ExportSeconds = 3;
    public const double StartSeconds = 10;
    private const string Manager = "virt-controller";

    public void Tick(DateTime now)
    {
        var sharing = ImportsPerPath();
        foreach (var cluster in world.Clusters.Values)
        {
            TrustExternalCa(cluster.Store);
            Snapshots(cluster.Store, now);
            Exports(cluster, now);
            DataVolumes(cluster, now, sharing);
            VirtualMachines(cluster, now);
        }
    }

    /// <summary>
    /// virt-operator's handling of ConfigMap kubevirt-external-ca: its certificates are merged into
    /// kubevirt-ca (duplicates dropped) and the external ConfigMap is cleared (kubevirt-facts §6).
    /// </summary>
    private static void TrustExternalCa(ClusterStore store)
    {
        if (store.Get(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-external-ca") is not { } external ||
            external["data"]?["ca-bundle"]?.GetValue<string>() is not { Length: > 0 } bundle ||
            store.Get(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-ca") is not { } ca)
        {
            return;
        }

        var known = Certificates(ca["data"]?["ca-bundle"]?.GetValue<string>() ?? "");
        var merged = known.Concat(Certificates(bundle).Where(c => !known.Contains(c))).ToList();
        ca["data"]!["ca-bundle"] = string.Concat(merged);
        store.Update(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-ca", ca, "virt-operator");
        external["data"]!["ca-bundle"] = "";
        store.Update(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-external-ca", external, "virt-operator");
    }

    /// <summary>The PEM blocks of a bundle, each with its end line.</summary>
    public static List<string> Certificates(string bundle) =>
        [.. System.Text.RegularExpressions.Regex.Matches(bundle, "-----BEGIN CERTIFICATE-----[\\s\\S]*?-----END CERTIFICATE-----\\n?").Select(m => m.Value.EndsWith('\n') ? m.Value : m.Value + "\n")];

    private static double Age(JsonObject obj, DateTime now) => JsonValues.Created(obj) is { } created ? (now - created).TotalSeconds : 0;

    private static void SetStatus(ClusterStore store, ResourceKind kind, JsonObject obj, JsonObject status)
    {
        if (JsonNode.DeepEquals(obj["status"], status))
        {
            return;
        }

        obj["status"] = status;
        store.Update(kind, obj["metadata"]!["namespace"]?.GetValue<string>() ?? "", obj["metadata"]!["name"]!.GetValue<string>(), obj, Manager, statusOnly: true);
    }

    private static void Snapshots(ClusterStore store, DateTime now)
    {
        foreach (var snapshot in store.List(ResourceRegistry.Snapshot, null).Items.Where(s => s["status"]?["readyToUse"]?.GetValue<bool>() != true))
        {
            var ready = Age(snapshot, now) >= SnapshotSeconds;
            SetStatus(store, ResourceRegistry.Snapshot, snapshot, new JsonObject
            {
                ["phase"] = ready ? "Succeeded" : "InProgress",
                ["readyToUse"] = ready,
                ["creationTime"] = ready ? Compiler.Facts.Timestamps.Format(now) : null,
            });
        }
    }

    private void Exports(SimulatedCluster cluster, DateTime now)
    {
        foreach (var export in cluster.Store.List(ResourceRegistry.Export, null).Items.Where(e => e["status"]?["phase"]?.GetValue<string>() != "Ready"))
        {
            var ns = export["metadata"]!["namespace"]!.GetValue<string>();
            var name = export["metadata"]!["name"]!.GetValue<string>();
            var source = export["spec"]?["source"];
            // A snapshot export serves the snapshotted claims restored as "<export>-<claim>"; a VM export its own claims.
            var vmName = source?["kind"]?.GetValue<string>() == "VirtualMachineSnapshot"
                ? cluster.Store.Get(ResourceRegistry.Snapshot, ns, source["name"]!.GetValue<string>())?["spec"]?["source"]?["name"]?.GetValue<string>()
                : source?["name"]?.GetValue<string>();
            var vm = vmName is null ? null : cluster.Store.Get(ResourceRegistry.VirtualMachine, ns, vmName);
            var claims = vm?["spec"]?["template"]?["spec"]?["volumes"]?.AsArray().Select(v => v!["persistentVolumeClaim"]?["claimName"]?.GetValue<string>() ?? v["dataVolume"]?["name"]?.GetValue<string>()).OfType<string>().ToList() ?? [];
            var snapshotReady = source?["kind"]?.GetValue<string>() != "VirtualMachineSnapshot" ||
                cluster.Store.Get(ResourceRegistry.Snapshot, ns, source["name"]!.GetValue<string>())?["status"]?["readyToUse"]?.GetValue<bool>() == true;
            // A VM's disks are exported only once it no longer runs (isSourceInUseVM, v1.6.2 pkg/storage/export/export/vm-source.go).
            var vmi = vmName is null || source?["kind"]?.GetValue<string>() == "VirtualMachineSnapshot" ? null : cluster.Store.Get(ResourceRegistry.VirtualMachineInstance, ns, vmName);
            var inUse = vmi?["status"]?["phase"]?.GetValue<string>() is not ("Succeeded" or "Failed") && vmi is not null;
            var ready = vm is not null && snapshotReady && !inUse && Age(export, now) >= ExportSeconds;
            var volumes = new JsonArray([.. claims.Select(c =>
            {
                var volume = source?["kind"]?.GetValue<string>() == "VirtualMachineSnapshot" ? $"{name}-{c}" : c;
                return (JsonNode)new JsonObject
                {
                    ["name"] = volume,
                    ["formats"] = new JsonArray(new JsonObject
                    {
                        ["format"] = "gzip",
                        ["url"] = $"https://{cluster.Model.KubeVirt.ExportAddress}/api/export.kubevirt.io/{KubeVirtRelease.Of(cluster.Model.KubeVirt).ExportLinkVersion}/namespaces/{ns}/virtualmachineexports/{name}/volumes/{volume}/disk.img.gz",
                    }),
                };
            })]);
            SetStatus(cluster.Store, ResourceRegistry.Export, export, ready
                ? new JsonObject { ["phase"] = "Ready", ["links"] = new JsonObject { ["external"] = new JsonObject { ["cert"] = SimulatedWorld.ExportProxyCaCertificate(cluster.Name), ["volumes"] = volumes } } }
                : inUse
                    ? new JsonObject { ["phase"] = "Pending", ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "False", ["reason"] = "InUse", ["message"] = $"Virtual Machine {ns}/{vmName} is running" }) }
                    : new JsonObject { ["phase"] = "Pending" });
        }
    }

    /// <summary>
    /// CDI imports at the path's bandwidth: the link from the cluster whose export the URL names, or this
    /// cluster's migration network. An HTTPS import from another cluster's export proxy verifies its
    /// certificate against the certConfigMap's ca.pem (CDI mounts it into the importer); without the
    /// proxy's CA the importer fails its TLS handshake and restarts, and the DataVolume never completes.
    /// </summary>
    private void DataVolumes(SimulatedCluster cluster, DateTime now, IReadOnlyDictionary<string, int> sharing)
    {
        foreach (var dv in cluster.Store.List(ResourceRegistry.DataVolume, null).Items.Where(d => d["status"]?["phase"]?.GetValue<string>() != "Succeeded"))
        {
            var size = Reconcile.Compiler.Model.Quantities.Bytes(dv["spec"]?["storage"]?["resources"]?["requests"]?["storage"]?.ToString() ?? "0") ?? 0;
            var http = dv["spec"]?["source"]?["http"];
            var url = http?["url"]?.GetValue<string>();
            double seconds = 0;
            if (url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                var from = world.Clusters.Values.FirstOrDefault(c => c.Model.KubeVirt.ExportAddress == uri.Authority || c.Model.KubeVirt.ExportAddress == uri.Host);
                if (from is not null && UntrustedProxy(cluster, dv, http!, from) is { } refusal)
                {
                    SetStatus(cluster.Store, ResourceRegistry.DataVolume, dv, new JsonObject
                    {
                        ["phase"] = "ImportInProgress",
                        ["progress"] = "N/A",
                        ["restartCount"] = (long)(Age(dv, now) / ImporterRestartSeconds),
                        ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Running", ["status"] = "False", ["reason"] = "Error", ["message"] = refusal }),
                    });
                    continue;
                }

                seconds = double.NaN;
            }

            // An import streams over one HTTP connection; the imports crossing a link share it.
            var key = $"{cluster.Name}/{dv["metadata"]!["namespace"]}/{dv["metadata"]!["name"]}";
            var imported = imports.TryGetValue(key, out var known) ? known : (Bytes: 0.0, At: JsonValues.Created(dv) ?? now);
            if (double.IsNaN(seconds))
            {
                imported = (Math.Min(size, imported.Bytes + ImportRate(cluster, dv, sharing) * Math.Max(0, (now - imported.At).TotalSeconds)), now);
                imports[key] = imported;
            }

            var done = double.IsNaN(seconds) ? imported.Bytes >= size : Age(dv, now) >= seconds;
            var progress = double.IsNaN(seconds) ? (size <= 0 ? 100 : imported.Bytes / size * 100) : seconds <= 0 ? 100 : Math.Min(100, Age(dv, now) / seconds * 100);
            SetStatus(cluster.Store, ResourceRegistry.DataVolume, dv, new JsonObject
            {
                ["phase"] = done ? "Succeeded" : "ImportInProgress",
                ["progress"] = done ? "100.0%" : $"{progress.ToString("0.0", CultureInfo.InvariantCulture)}%",
            });
        }
    }

    private const double ImporterRestartSeconds = 30;

    private readonly Dictionary<string, (double Bytes, DateTime At)> imports = new(StringComparer.Ordinal);

    /// <summary>The cluster whose export proxy a DataVolume imports from, if its URL names one.</summary>
    private SimulatedCluster? ExportSource(JsonObject dv) =>
        dv["spec"]?["source"]?["http"]?["url"]?.GetValue<string>() is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri)
            ? world.Clusters.Values.FirstOrDefault(c => c.Model.KubeVirt.ExportAddress == uri.Authority || c.Model.KubeVirt.ExportAddress == uri.Host)
            : null;

    /// <summary>The path an import crosses: the link from the exporting cluster, or the importing cluster's own network.</summary>
    private string PathOf(SimulatedCluster cluster, SimulatedCluster? from) =>
        from is null || from.Name == cluster.Name ? $"cluster:{cluster.Name}" : world.Topology.FindLink(from.Name, cluster.Name)?.Id ?? $"cluster:{cluster.Name}";

    /// <summary>How many unfinished HTTP imports cross each path, counted once per tick.</summary>
    private Dictionary<string, int> ImportsPerPath()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var cluster in world.Clusters.Values)
        {
            foreach (var dv in cluster.Store.List(ResourceRegistry.DataVolume, null).Items
                         .Where(d => d["status"]?["phase"]?.GetValue<string>() != "Succeeded" && d["spec"]?["source"]?["http"] is not null))
            {
                var path = PathOf(cluster, ExportSource(dv));
                counts[path] = counts.GetValueOrDefault(path) + 1;
            }
        }

        return counts;
    }

    /// <summary>
    /// One import's rate: its connection (Network.LinkTransport) within an equal part of the path, which
    /// the unfinished imports over the same link (or inside the cluster) share.
    /// </summary>
    private double ImportRate(SimulatedCluster cluster, JsonObject dv, IReadOnlyDictionary<string, int> sharing)
    {
        var from = ExportSource(dv);
        var link = from is null || from.Name == cluster.Name ? null : world.Topology.FindLink(from.Name, cluster.Name);
        var capacity = link is null ? cluster.Model.Migration.BandwidthBitsPerSecond / 8.0 : link.BandwidthBitsPerSecond / 8.0 * (1 - link.Overhead);
        return Math.Min(Network.LinkTransport.ConnectionBytesPerSecond(link), capacity / Math.Max(1, sharing.GetValueOrDefault(PathOf(cluster, from))));
    }

    /// <summary>Why the importer cannot trust <paramref name="from"/>'s export proxy, or null when it can.</summary>
    private static string? UntrustedProxy(SimulatedCluster cluster, JsonObject dv, JsonNode http, SimulatedCluster from)
    {
        if (from.Name == cluster.Name)
        {
            return null;
        }

        var ns = dv["metadata"]!["namespace"]!.GetValue<string>();
        var name = http["certConfigMap"]?.GetValue<string>();
        var ca = name is null ? null : cluster.Store.Get(ResourceRegistry.ConfigMap, ns, name)?["data"]?["ca.pem"]?.GetValue<string>();
        return ca == SimulatedWorld.ExportProxyCaCertificate(from.Name)
            ? null
            : $"Unable to connect to http data source: Get \"{http["url"]}\": tls: failed to verify certificate: x509: certificate signed by unknown authority" +
              (name is null ? " (the DataVolume names no certConfigMap)" : $" (ConfigMap {name} holds no ca.pem with the export proxy's CA)");
    }

    /// <summary>The annotation KubeVirt puts on a receiver VMI (virtv1.CreateMigrationTarget).</summary>
    public const string ReceiverAnnotation = "kubevirt.io/create-migration-target";

    /// <summary>runStrategy: Halted stops the VMI; Always starts one once the VM's DataVolumes are imported. WaitAsReceiver waits for a migration.</summary>
    /// <summary>When each stopping VMI (cluster/namespace/name) was asked to shut down.</summary>
    private readonly Dictionary<string, DateTime> shutdowns = new(StringComparer.Ordinal);

    private void VirtualMachines(SimulatedCluster cluster, DateTime now)
    {
        var store = cluster.Store;
        foreach (var vm in store.List(ResourceRegistry.VirtualMachine, null).Items)
        {
            var ns = vm["metadata"]!["namespace"]!.GetValue<string>();
            var name = vm["metadata"]!["name"]!.GetValue<string>();
            var strategy = vm["spec"]?["runStrategy"]?.GetValue<string>() ?? "Always";
            var vmi = store.Get(ResourceRegistry.VirtualMachineInstance, ns, name);
            foreach (var template in vm["spec"]?["dataVolumeTemplates"]?.AsArray() ?? [])
            {
                var dvName = template!["metadata"]!["name"]!.GetValue<string>();
                if (store.Get(ResourceRegistry.DataVolume, ns, dvName) is null)
                {
                    store.Create(ResourceRegistry.DataVolume, ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = dvName }, ["spec"] = template["spec"]!.DeepClone() }, Manager);
                }
            }

            if (strategy != "Halted")
            {
                shutdowns.Remove($"{cluster.Name}/{ns}/{name}");
            }

            string printable;
            if (strategy == "Halted")
            {
                printable = "Stopped";
                if (vmi is not null && vmi["status"]?["migrationState"]?["completed"]?.GetValue<bool>() != false)
                {
                    // The guest is asked to power off and gets until its grace period; the VMI goes once it is off.
                    var key = $"{cluster.Name}/{ns}/{name}";
                    var asked = shutdowns.TryGetValue(key, out var since) ? since : shutdowns[key] = now;
                    if ((now - asked).TotalSeconds >= SimulatedWorld.ShutdownSeconds(vmi, world.GuestOf(vmi)))
                    {
                        store.Delete(ResourceRegistry.VirtualMachineInstance, ns, name);
                        shutdowns.Remove(key);
                    }
                    else
                    {
                        printable = "Stopping";
                    }
                }
            }
            else if (strategy == "WaitAsReceiver")
            {
                // virt-controller creates a receiver VMI at once (annotated as migration target, phase
                // WaitingForSync; pkg/virt-controller/watch/vm/vm.go), which the receiving VMIM then names.
                if (vmi is null)
                {
                    store.Create(ResourceRegistry.VirtualMachineInstance, ns, new JsonObject
                    {
                        ["metadata"] = new JsonObject
                        {
                            ["name"] = name,
                            ["annotations"] = new JsonObject { [ReceiverAnnotation] = "true" },
                            ["labels"] = (JsonObject?)vm["spec"]?["template"]?["metadata"]?["labels"]?.DeepClone() ?? [],
                            ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "kubevirt.io/v1", ["kind"] = "VirtualMachine", ["name"] = name, ["controller"] = true }),
                        },
                        ["spec"] = (JsonObject?)vm["spec"]?["template"]?["spec"]?.DeepClone() ?? [],
                    }, Manager);
                    var created = store.Get(ResourceRegistry.VirtualMachineInstance, ns, name)!;
                    created["status"] = new JsonObject { ["phase"] = "WaitingForSync" };
                    store.Update(ResourceRegistry.VirtualMachineInstance, ns, name, created, Manager, statusOnly: true);
                }

                printable = "WaitingForReceiver";
            }
            else if (vmi is null)
            {
                var imported = (vm["spec"]?["dataVolumeTemplates"]?.AsArray() ?? []).All(t =>
                    store.Get(ResourceRegistry.DataVolume, ns, t!["metadata"]!["name"]!.GetValue<string>())?["status"]?["phase"]?.GetValue<string>() == "Succeeded")
                    && ClaimsWritable(store, ns, vm);
                printable = imported ? "Starting" : "Provisioning";
                if (imported && Age(vm, now) >= StartSeconds && LeastLoadedNode(store) is { } node)
                {
                    SimulatedWorld.CreateVmi(store, ns, name,
                        (JsonObject?)vm["spec"]?["template"]?["metadata"]?["labels"]?.DeepClone() ?? [],
                        (JsonObject?)vm["spec"]?["template"]?["spec"]?.DeepClone() ?? [], node, agent: false, migrationState: null);
                    printable = "Running";
                }
            }
            else
            {
                printable = vmi["status"]?["phase"]?.GetValue<string>() == "Running" ? "Running" : "Stopped";
                ConnectAgentOnceBooted(store, vmi, now);
            }

            var status = (JsonObject?)vm["status"]?.DeepClone() ?? [];
            status["printableStatus"] = printable;
            status["ready"] = printable == "Running";
            SetStatus(store, ResourceRegistry.VirtualMachine, vm, status);
        }
    }

    /// <summary>A started guest's agent connects once the guest has booted (virt-handler sets AgentConnected when qemu-guest-agent answers).</summary>
    private void ConnectAgentOnceBooted(ClusterStore store, JsonObject vmi, DateTime now)
    {
        var conditions = vmi["status"]?["conditions"]?.AsArray();
        var guest = world.GuestOf(vmi);
        if (conditions is null || guest is not { Guest.Agent: true } || conditions.Any(c => c?["type"]?.GetValue<string>() == "AgentConnected") ||
            Age(vmi, now) < world.BootTime(guest).TotalSeconds)
        {
            return;
        }

        var status = (JsonObject)vmi["status"]!.DeepClone();
        status["conditions"]!.AsArray().Add(new JsonObject { ["type"] = "AgentConnected", ["status"] = "True" });
        status["guestOSInfo"] = VmSpecs.GuestOsInfo(guest);
        SetStatus(store, ResourceRegistry.VirtualMachineInstance, vmi, status);
    }

    /// <summary>
    /// Every claim the VM mounts exists and is Bound, and is not a replica still secondary (a demoted
    /// mirror image cannot be written: the virt-launcher pod would not start).
    /// </summary>
    private static bool ClaimsWritable(ClusterStore store, string ns, JsonObject vm)
    {
        foreach (var claim in (vm["spec"]?["template"]?["spec"]?["volumes"]?.AsArray() ?? []).Select(v => v?["persistentVolumeClaim"]?["claimName"]?.GetValue<string>()).OfType<string>())
        {
            if (store.Get(ResourceRegistry.PersistentVolumeClaim, ns, claim)?["status"]?["phase"]?.GetValue<string>() != "Bound")
            {
                return false;
            }

            if (store.Registry.Find(Storage.StorageReplication.VolumeReplication.GroupVersion, Storage.StorageReplication.VolumeReplication.Plural) is not null &&
                store.List(Storage.StorageReplication.VolumeReplication, ns).Items.Any(r =>
                    (r["spec"]?["dataSource"]?["name"]?.GetValue<string>() ?? r["metadata"]!["name"]!.GetValue<string>()) == claim &&
                    r["status"]?["state"]?.GetValue<string>() != "Primary"))
            {
                return false;
            }
        }

        return true;
    }

    private static string? LeastLoadedNode(ClusterStore store)
    {
        var load = store.List(ResourceRegistry.VirtualMachineInstance, null).Items
            .GroupBy(v => v["status"]?["nodeName"]?.GetValue<string>() ?? "").ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return store.List(ResourceRegistry.Node, null).Items
            .Where(n => n["status"]?["conditions"]?.AsArray().Any(c => c!["type"]!.GetValue<string>() == "Ready" && c["status"]!.GetValue<string>() == "True") == true)
            .Select(n => n["metadata"]!["name"]!.GetValue<string>())
            .OrderBy(n => load.GetValueOrDefault(n)).ThenBy(n => n, StringComparer.Ordinal).FirstOrDefault();
    }
}
