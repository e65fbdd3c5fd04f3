using System.Globalization;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Model;
using Reconcile.Simulator.Api;

namespace Reconcile.Simulator.World;

/// <summary>One simulated cluster: its Topology entry, its objects and its API.</summary>
public sealed class SimulatedCluster(Cluster model, ClusterStore store, KubernetesApi api)
{
    public Cluster Model { get; } = model;

    public ClusterStore Store { get; } = store;

    public KubernetesApi Api { get; } = api;

    public string Name => Model.Name;
}

/// <summary>
/// The whole simulated world: clusters (each with its own API and objects), the links between them,
/// and the VMs' workload characteristics (memory, dirty rate, disks) from the Inventory, which the
/// migration engine needs and a real cluster would only reveal by running them.
/// </summary>
public sealed class SimulatedWorld
{
    public const string ServerVersion = "v1.35.0-reconcile-simulator";

    /// <summary>How long a guest boots when neither the Inventory nor the options say.</summary>
    public static readonly TimeSpan GuestBootFallback = TimeSpan.FromMinutes(1);

    /// <summary>KubeVirt's grace period for a VMI that sets none (DefaultGracePeriodSeconds, v1.6.2 staging/src/kubevirt.io/api/core/v1/types.go).</summary>
    public const double DefaultGracePeriodSeconds = 30;

    private readonly Dictionary<string, Vm> vms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Vm> guests = new(StringComparer.Ordinal);

    public SimulatedWorld(Topology topology, IEnumerable<Inventory> inventories, SimulatedClock clock, int historyLimit = 5000)
    {
        Topology = topology;
        Clock = clock;
        var all = inventories.ToList();
        var vmNamespaces = all.SelectMany(i => i.Vms).Select(v => v.Namespace).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var cluster in topology.Clusters.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            var store = new ClusterStore(cluster.Name, new ResourceRegistry(KubeVirt.KubeVirtRelease.Of(cluster.KubeVirt).ExportVersions), () => clock.Now, historyLimit);
            foreach (var kind in PlatformObjects.Kinds)
            {
                store.Registry.Add(kind);
            }

            Clusters[cluster.Name] = new SimulatedCluster(cluster, store, new KubernetesApi(store, ServerVersion, () => clock.Now));
            Seed(cluster, store);
            PlatformObjects.SeedStorage(cluster, store, Manager);
            PlatformObjects.SeedNetworks(cluster, store, vmNamespaces, Manager);
            PlatformObjects.SeedExportProxy(cluster, store, Manager);
        }

        Storage.StorageReplication.Serve(this);
        foreach (var vm in all.SelectMany(i => i.Vms).OrderBy(v => v.Id, StringComparer.Ordinal))
        {
            vms[vm.Id] = vm;
            guests[FirmwareUuid(vm)] = vm;
            if (Clusters.TryGetValue(vm.Cluster, out var cluster))
            {
                SeedVm(cluster.Store, vm, cluster.Model);
            }
        }
    }

    public Topology Topology { get; }

    public SimulatedClock Clock { get; }

    public SortedDictionary<string, SimulatedCluster> Clusters { get; } = new(StringComparer.Ordinal);

    /// <summary>The Inventory's description of a VM (namespace/name), wherever it runs now.</summary>
    public Vm? VmProfile(string ns, string name) => vms.GetValueOrDefault($"{ns}/{name}");

    /// <summary>How long guests boot where the Inventory does not say.</summary>
    public TimeSpan DefaultBootTime { get; init; } = GuestBootFallback;

    /// <summary>
    /// The guest a VMI or VM runs, known by its firmware UUID (which a receiver keeps, whatever its
    /// namespace), else by namespace/name.
    /// </summary>
    public Vm? GuestOf(JsonObject obj)
    {
        var spec = obj["kind"]?.GetValue<string>() == "VirtualMachine" ? obj["spec"]?["template"]?["spec"] : obj["spec"];
        return spec?["domain"]?["firmware"]?["uuid"]?.GetValue<string>() is { } uuid && guests.TryGetValue(uuid, out var guest)
            ? guest
            : VmProfile(obj["metadata"]?["namespace"]?.GetValue<string>() ?? "", obj["metadata"]?["name"]?.GetValue<string>() ?? "");
    }

    /// <summary>How long the guest takes to boot, from its VMI running to its agent connecting.</summary>
    public TimeSpan BootTime(Vm? guest) => guest?.Guest.BootTime ?? DefaultBootTime;

    /// <summary>
    /// How long stopping a VMI takes: its guest powers off in its own time, and KubeVirt kills it at the
    /// VMI's terminationGracePeriodSeconds (virt-handler's graceful shutdown). A guest nobody measured is
    /// taken to use the whole grace period.
    /// </summary>
    public static double ShutdownSeconds(JsonObject vmi, Vm? guest)
    {
        var grace = JsonValues.Number(vmi["spec"]?["terminationGracePeriodSeconds"]) ?? DefaultGracePeriodSeconds;
        return guest?.Guest.ShutdownTime is { } measured ? Math.Min(measured.TotalSeconds, grace) : grace;
    }

    /// <summary>How fast the guest writes to a claim (the Inventory's writeRate for the volume behind it), 0 when no VM declares it.</summary>
    public double WriteBytesPerSecond(string ns, string claim) =>
        vms.Values.Where(v => v.Namespace == ns).SelectMany(v => v.Volumes.Where(d => (d.Claim ?? $"{v.Name}-{d.Name}") == claim)).Select(d => (double)d.WriteBytesPerSecond).FirstOrDefault();

    private static string FirmwareUuid(Vm vm) => ClusterStore.Uid($"firmware/{vm.Id}");

    public const string Manager = "reconcile-simulator";

    private static void Seed(Cluster cluster, ClusterStore store)
    {
        foreach (var ns in new[] { "default", "kube-system", "kubevirt", "reconcile-system" })
        {
            store.Create(ResourceRegistry.Namespace, "", Namespace(ns), Manager);
        }

        PlatformObjects.SeedNodes(cluster, store, Manager);

        Network.MigrationFirewall.Isolate(cluster, store, Manager);

        // The cluster's KubeVirt CA (kubevirt-facts §6): what peers must trust for decentralized migration.
        store.Create(ResourceRegistry.ConfigMap, "kubevirt", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "kubevirt-ca" },
            ["data"] = new JsonObject { ["ca-bundle"] = CaCertificate(cluster.Name) },
        }, "virt-operator");

        var migration = cluster.Migration;
        var kubevirt = store.Create(ResourceRegistry.KubeVirt, "kubevirt", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "kubevirt" },
            ["spec"] = new JsonObject
            {
                ["configuration"] = new JsonObject
                {
                    ["developerConfiguration"] = new JsonObject { ["featureGates"] = new JsonArray([.. cluster.KubeVirt.FeatureGates.Select(g => (JsonNode)g)]) },
                    ["migrations"] = new JsonObject
                    {
                        ["parallelMigrationsPerCluster"] = migration.ParallelMigrationsPerCluster,
                        ["parallelOutboundMigrationsPerNode"] = migration.ParallelOutboundMigrationsPerNode,
                        ["bandwidthPerMigration"] = (migration.BandwidthBitsPerSecond / 8).ToString(CultureInfo.InvariantCulture),
                        ["completionTimeoutPerGiB"] = 150,
                        ["progressTimeout"] = 150,
                        ["allowAutoConverge"] = false,
                        ["allowPostCopy"] = false,
                        ["disableTLS"] = !migration.Tls,
                    },
                },
            },
        }, Manager);
        if (migration.Network is { } network)
        {
            kubevirt["spec"]!["configuration"]!["migrations"]!["network"] = network;
            kubevirt = store.Update(ResourceRegistry.KubeVirt, "kubevirt", "kubevirt", kubevirt, Manager);
        }

        kubevirt["status"] = new JsonObject
        {
            ["phase"] = "Deployed",
            ["observedKubeVirtVersion"] = cluster.KubeVirt.Version is { } v ? $"v{v}" : "v1.10.0",
            ["synchronizationAddresses"] = new JsonArray([.. new[] { cluster.KubeVirt.SynchronizationAddress }.OfType<string>().Select(a => (JsonNode)a)]),
        };
        store.Update(ResourceRegistry.KubeVirt, "kubevirt", "kubevirt", kubevirt, Manager, statusOnly: true);
    }

    /// <summary>A stand-in PEM block naming its cluster (the simulator does no TLS; trust is checked by comparing bundles).</summary>
    /// <summary>The CA that signs a cluster's virt-exportproxy certificate; exports publish it in status.links.external.cert.</summary>
    public static string ExportProxyCaCertificate(string cluster) =>
        $"-----BEGIN CERTIFICATE-----\n{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"simulated export proxy CA of {cluster}"))}\n-----END CERTIFICATE-----\n";

    public static string CaCertificate(string cluster) =>
        $"-----BEGIN CERTIFICATE-----\n{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"simulated KubeVirt CA of {cluster}"))}\n-----END CERTIFICATE-----\n";

    private static JsonObject Namespace(string name) => new() { ["metadata"] = new JsonObject { ["name"] = name } };

    /// <summary>The VM and its running VMI, as KubeVirt shows them.</summary>
    /// <param name="cluster">The cluster's Topology entry, for the reclaim policy of volumes that do not name one.</param>
    public static void SeedVm(ClusterStore store, Vm vm, Cluster? cluster = null)
    {
        if (store.Get(ResourceRegistry.Namespace, "", vm.Namespace) is null)
        {
            store.Create(ResourceRegistry.Namespace, "", Namespace(vm.Namespace), Manager);
        }

        var labels = new JsonObject();
        foreach (var (key, value) in vm.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            labels[key] = value;
        }

        var spec = VmSpecs.Spec(vm, FirmwareUuid(vm));
        foreach (var volume in vm.Volumes)
        {
            var claim = volume.Claim ?? $"{vm.Name}-{volume.Name}";
            if (store.Get(ResourceRegistry.PersistentVolumeClaim, vm.Namespace, claim) is null)
            {
                var pvc = store.Create(ResourceRegistry.PersistentVolumeClaim, vm.Namespace, new JsonObject
                {
                    ["metadata"] = new JsonObject { ["name"] = claim },
                    ["spec"] = new JsonObject
                    {
                        ["storageClassName"] = volume.StorageClass,
                        ["accessModes"] = new JsonArray(volume.AccessMode ?? "ReadWriteMany"),
                        ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = volume.SizeBytes.ToString(CultureInfo.InvariantCulture) } },
                        ["volumeName"] = PlatformObjects.SeedVolume(store, vm.Namespace, claim, volume, cluster, Manager),
                    },
                }, Manager);
                pvc["status"] = new JsonObject { ["phase"] = "Bound" };
                store.Update(ResourceRegistry.PersistentVolumeClaim, vm.Namespace, claim, pvc, Manager, statusOnly: true);
            }
        }
        store.Create(ResourceRegistry.VirtualMachine, vm.Namespace, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = vm.Name, ["labels"] = labels.DeepClone() },
            ["spec"] = new JsonObject
            {
                ["runStrategy"] = "Always",
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = labels.DeepClone() },
                    ["spec"] = spec.DeepClone(),
                },
            },
        }, Manager);
        CreateVmi(store, vm.Namespace, vm.Name, (JsonObject)labels.DeepClone(), (JsonObject)spec.DeepClone(), vm.Node, vm.Guest.Agent, null, VmSpecs.GuestOsInfo(vm));
    }

    /// <summary>A running VMI on <paramref name="node"/>; after a migration it carries the migration state.</summary>
    /// <param name="spec">The VMI's spec: the VM's template spec (domain, volumes, grace period).</param>
    /// <param name="agent">Whether its guest agent is connected already (a running guest that moved); a started guest connects once booted.</param>
    /// <param name="guestOsInfo">What the guest agent reports (status.guestOSInfo), shown while the agent is connected.</param>
    public static JsonObject CreateVmi(ClusterStore store, string ns, string name, JsonObject labels, JsonObject spec, string node, bool agent, JsonObject? migrationState, JsonObject? guestOsInfo = null)
    {
        labels["kubevirt.io/nodeName"] = node;
        var vmi = store.Create(ResourceRegistry.VirtualMachineInstance, ns, new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["labels"] = labels,
                ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "kubevirt.io/v1", ["kind"] = "VirtualMachine", ["name"] = name, ["controller"] = true }),
            },
            ["spec"] = spec,
        }, Manager);
        var conditions = new JsonArray(
            new JsonObject { ["type"] = "Ready", ["status"] = "True" },
            new JsonObject { ["type"] = "LiveMigratable", ["status"] = "True" });
        if (agent)
        {
            conditions.Add(new JsonObject { ["type"] = "AgentConnected", ["status"] = "True" });
        }

        vmi["status"] = new JsonObject { ["phase"] = "Running", ["nodeName"] = node, ["conditions"] = conditions, ["migrationState"] = migrationState };
        if (agent && guestOsInfo is not null)
        {
            vmi["status"]!["guestOSInfo"] = guestOsInfo;
        }

        if (migrationState is null)
        {
            ((JsonObject)vmi["status"]!).Remove("migrationState");
        }

        return store.Update(ResourceRegistry.VirtualMachineInstance, ns, name, vmi, Manager, statusOnly: true);
    }
}
