using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Model;
using Reconcile.Simulator.Api;

namespace Reconcile.Simulator.World;

/// <summary>
/// What a cluster shows about itself besides its VMs, as the components that write it would: nodes as
/// the kubelet, the cloud controller and KubeVirt's virt-handler label them; StorageClasses and the
/// StorageProfiles CDI derives from them; PersistentVolumes bound to the VMs' claims; Multus
/// NetworkAttachmentDefinitions; the Ingress that exposes virt-exportproxy. `reconcile discover` reads
/// these, and the simulator serves them from the world's Topology so that a round trip can be checked.
/// </summary>
public static class PlatformObjects
{
    public static readonly ResourceKind StorageClass = new("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, false, "sc");
    public static readonly ResourceKind PersistentVolume = new("", "v1", "PersistentVolume", "persistentvolumes", false, true, "pv");
    public static readonly ResourceKind StorageProfile = new("cdi.kubevirt.io", "v1beta1", "StorageProfile", "storageprofiles", false, true);
    public static readonly ResourceKind NetworkAttachmentDefinition = new("k8s.cni.cncf.io", "v1", "NetworkAttachmentDefinition", "network-attachment-definitions", true, false, "net-attach-def");
    public static readonly ResourceKind Ingress = new("networking.k8s.io", "v1", "Ingress", "ingresses", true, true, "ing");

    public static IEnumerable<ResourceKind> Kinds => [StorageClass, PersistentVolume, StorageProfile, NetworkAttachmentDefinition, Ingress];

    /// <summary>The provisioner every simulated class names; CDI knows nothing about it, so only classes that declare access modes get a filled StorageProfile.</summary>
    public const string Provisioner = "csi.simulator.reconcile.dev";

    /// <summary>Where Kubernetes' well-known labels put a node's region (k8s.io/api/core/v1 well_known_labels.go).</summary>
    public const string RegionLabel = "topology.kubernetes.io/region";

    /// <summary>
    /// Nodes as a cloud provider, the kubelet and virt-handler leave them: the region label and the
    /// providerID from the cloud controller; allocatable CPU, memory and pre-allocated 1 GiB hugepages from
    /// the kubelet; the CPU-model labels of KubeVirt's node labeller and its cpumanager label ("true" where
    /// the kubelet runs the static policy, pkg/virt-handler/heartbeat/heartbeat.go); a podCIDR per node
    /// carved out of the cluster's migration CIDR when migrations use the pod network.
    /// </summary>
    public static void SeedNodes(Cluster cluster, ClusterStore store, string manager)
    {
        var nodes = cluster.Nodes.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        var podCidrs = cluster.Migration.Network is null && cluster.Migration.Cidr is { } cidr ? Split(cidr, nodes.Count) : [];
        foreach (var (node, index) in nodes.Select((n, i) => (n, i)))
        {
            var labels = new JsonObject
            {
                ["kubernetes.io/hostname"] = node.Name,
                ["kubevirt.io/schedulable"] = "true",
                ["cpumanager"] = cluster.CpuManagerPolicy == "static" ? "true" : "false",
                [RegionLabel] = cluster.Region,
            };
            foreach (var (key, value) in node.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                labels[key] = value;
            }

            if (node.CpuModel is { } model)
            {
                labels[$"cpu-model.node.kubevirt.io/{model}"] = "true";
                labels[$"cpu-model-migration.node.kubevirt.io/{model}"] = "true";
                // The node labeller names the node's own host CPU (node_labeller.go, HostModelCPULabel).
                labels[$"host-model-cpu.node.kubevirt.io/{model}"] = "true";
            }

            var spec = new JsonObject();
            if (ProviderId(cluster.Provider, cluster.Region, node.Name) is { } providerId)
            {
                spec["providerID"] = providerId;
            }

            if (index < podCidrs.Count)
            {
                spec["podCIDR"] = podCidrs[index];
                spec["podCIDRs"] = new JsonArray(podCidrs[index]);
            }

            var created = store.Create(ResourceRegistry.Node, "", new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = node.Name, ["labels"] = labels },
                ["spec"] = spec,
            }, manager);
            var resources = new JsonObject
            {
                ["cpu"] = (node.Cpu ?? 64).ToString(CultureInfo.InvariantCulture),
                ["memory"] = (node.MemoryBytes ?? 512L << 30).ToString(CultureInfo.InvariantCulture),
                ["hugepages-1Gi"] = (node.HugepagesBytes ?? 0).ToString(CultureInfo.InvariantCulture),
                ["hugepages-2Mi"] = "0",
            };
            created["status"] = new JsonObject
            {
                ["capacity"] = resources.DeepClone(),
                ["allocatable"] = resources,
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["reason"] = "KubeletReady" }),
            };
            store.Update(ResourceRegistry.Node, "", node.Name, created, manager, statusOnly: true);
        }
    }

    /// <summary>The providerID a cloud's controller sets on its nodes (aws:///zone/id, gce://project/zone/name, azure:///subscriptions/…, openstack:///id); none on bare metal.</summary>
    private static string? ProviderId(string? provider, string region, string node) => provider switch
    {
        "aws" => $"aws:///{region}a/i-{Hash(node)}",
        "gcp" => $"gce://simulated-project/{region}-a/{node}",
        "azure" => $"azure:///subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/{region}/providers/Microsoft.Compute/virtualMachines/{node}",
        "openstack" => $"openstack:///{ClusterStore.Uid("openstack/" + node)}",
        _ => null,
    };

    private static string Hash(string text) => ClusterStore.Uid(text).Replace("-", "", StringComparison.Ordinal)[..17];

    /// <summary>The StorageClasses and, for those that declare access modes, the StorageProfile CDI fills in for a provisioner it knows.</summary>
    public static void SeedStorage(Cluster cluster, ClusterStore store, string manager)
    {
        foreach (var storageClass in cluster.StorageClasses.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            store.Create(StorageClass, "", new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = storageClass.Name },
                ["provisioner"] = Provisioner,
                ["reclaimPolicy"] = storageClass.ReclaimPolicy,
                ["volumeBindingMode"] = storageClass.VolumeBindingMode,
                ["allowVolumeExpansion"] = true,
            }, manager);
            var profile = store.Create(StorageProfile, "", new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = storageClass.Name },
                ["spec"] = new JsonObject(),
            }, "cdi-controller");
            var status = new JsonObject { ["storageClass"] = storageClass.Name, ["provisioner"] = Provisioner };
            if (storageClass.AccessModes.Length > 0)
            {
                status["claimPropertySets"] = new JsonArray(new JsonObject
                {
                    ["accessModes"] = new JsonArray([.. storageClass.AccessModes.Select(m => (JsonNode)m)]),
                    ["volumeMode"] = "Block",
                });
            }

            profile["status"] = status;
            store.Update(StorageProfile, "", storageClass.Name, profile, "cdi-controller", statusOnly: true);
        }
    }

    /// <summary>
    /// The cluster's NetworkAttachmentDefinitions: a namespace/name entry in its namespace, a bare name in
    /// every namespace that holds VMs anywhere in the world (and default), and the migration network in the
    /// kubevirt namespace, where KubeVirt looks for migrations.network, with its MTU and address range in
    /// the CNI config. A bare name in the plan means "present where the VMs need it", so the simulated
    /// platform is one that prepared the VMs' namespaces, with their attachments, on every cluster.
    /// </summary>
    public static void SeedNetworks(Cluster cluster, ClusterStore store, IReadOnlyCollection<string> vmNamespaces, string manager)
    {
        var wanted = new SortedSet<(string Namespace, string Name)>();
        foreach (var nad in cluster.NetworkAttachmentDefinitions)
        {
            if (nad.Split('/') is [var home, var name])
            {
                wanted.Add((home, name));
                continue;
            }

            foreach (var everywhere in vmNamespaces.Append("default"))
            {
                wanted.Add((everywhere, nad));
            }
        }

        if (cluster.Migration.Network is { } migration)
        {
            wanted.Add(("kubevirt", migration));
        }

        foreach (var (ns, name) in wanted)
        {
            if (store.Get(ResourceRegistry.Namespace, "", ns) is null)
            {
                store.Create(ResourceRegistry.Namespace, "", new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } }, manager);
            }

            var config = new JsonObject { ["cniVersion"] = "0.3.1", ["name"] = name, ["type"] = "macvlan", ["master"] = "eth1", ["mode"] = "bridge" };
            if (name == cluster.Migration.Network)
            {
                config["mtu"] = cluster.Migration.Mtu;
                if (cluster.Migration.Cidr is { } range)
                {
                    config["ipam"] = new JsonObject { ["type"] = "whereabouts", ["range"] = range };
                }
            }

            store.Create(NetworkAttachmentDefinition, ns, new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = name },
                ["spec"] = new JsonObject { ["config"] = config.ToJsonString() },
            }, manager);
        }
    }

    /// <summary>
    /// The Ingress in front of virt-exportproxy, which KubeVirt's export controller takes its external
    /// host from (getHostFromIngress, pkg/storage/export/export/links.go, v1.6.0-v1.9.0).
    /// </summary>
    public static void SeedExportProxy(Cluster cluster, ClusterStore store, string manager)
    {
        if (cluster.KubeVirt.ExportAddress is not { } address)
        {
            return;
        }

        var host = address.Split(':')[0];
        store.Create(Ingress, "kubevirt", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "vmexport-proxy" },
            ["spec"] = new JsonObject
            {
                ["rules"] = new JsonArray(new JsonObject
                {
                    ["host"] = host,
                    ["http"] = new JsonObject
                    {
                        ["paths"] = new JsonArray(new JsonObject
                        {
                            ["path"] = "/",
                            ["pathType"] = "Prefix",
                            ["backend"] = new JsonObject { ["service"] = new JsonObject { ["name"] = "virt-exportproxy", ["port"] = new JsonObject { ["number"] = 8443 } } },
                        }),
                    },
                }),
            },
        }, manager);
    }

    /// <summary>The PersistentVolume a bound claim names in spec.volumeName, with the reclaim policy the volume (else its class) gives.</summary>
    public static string SeedVolume(ClusterStore store, string ns, string claim, Volume volume, Cluster? cluster, string manager)
    {
        var name = "pvc-" + ClusterStore.Uid($"{ns}/{claim}");
        var reclaim = volume.ReclaimPolicy ?? (volume.StorageClass is { } c ? cluster?.FindStorageClass(c)?.ReclaimPolicy : null) ?? "Delete";
        var pv = store.Create(PersistentVolume, "", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["capacity"] = new JsonObject { ["storage"] = volume.SizeBytes.ToString(CultureInfo.InvariantCulture) },
                ["accessModes"] = new JsonArray(volume.AccessMode ?? "ReadWriteMany"),
                ["persistentVolumeReclaimPolicy"] = reclaim,
                ["storageClassName"] = volume.StorageClass,
                ["claimRef"] = new JsonObject { ["namespace"] = ns, ["name"] = claim },
                ["csi"] = new JsonObject { ["driver"] = Provisioner, ["volumeHandle"] = name },
            },
        }, manager);
        pv["status"] = new JsonObject { ["phase"] = "Bound" };
        store.Update(PersistentVolume, "", name, pv, manager, statusOnly: true);
        return name;
    }

    /// <summary>Splits <paramref name="cidr"/> into the smallest equal subnets that give <paramref name="count"/> of them (IPv4 or IPv6).</summary>
    internal static List<string> Split(string cidr, int count)
    {
        var parts = cidr.Split('/');
        if (count == 0 || !IPAddress.TryParse(parts[0], out var network) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var prefix))
        {
            return [];
        }

        var width = network.GetAddressBytes().Length * 8;
        var bits = (int)Math.Ceiling(Math.Log2(count));
        if (prefix + bits > width)
        {
            return [];
        }

        var start = new BigInteger(network.GetAddressBytes(), isUnsigned: true, isBigEndian: true);
        var size = BigInteger.One << (width - prefix - bits);
        var result = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var bytes = (start + (size * i)).ToByteArray(isUnsigned: true, isBigEndian: true);
            var padded = new byte[width / 8];
            bytes.CopyTo(padded, padded.Length - bytes.Length);
            result.Add($"{new IPAddress(padded)}/{prefix + bits}");
        }

        return result;
    }
}
