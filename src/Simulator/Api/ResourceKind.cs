using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Reconcile.Simulator.Api;

/// <summary>One REST resource the simulated API serves: group, version, kind, plural, scope, subresources.</summary>
public sealed record ResourceKind(string Group, string Version, string Kind, string Plural, bool Namespaced, bool HasStatus = true, string? ShortName = null)
{
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string ListKind => Kind + "List";

    public string Singular => Kind.ToLowerInvariant();
}

/// <summary>The kinds one simulated cluster serves: the built-in ones Reconcile needs and any CRD applied to it.</summary>
public sealed class ResourceRegistry
{
    private readonly ConcurrentDictionary<(string GroupVersion, string Plural), ResourceKind> kinds = new();
    private readonly ConcurrentDictionary<(string GroupVersion, string Plural), IReadOnlyList<PrinterColumn>> printerColumns = new();

    /// <summary>The printer columns of a kind defined by a CRD that declares them; null for the others.</summary>
    public IReadOnlyList<PrinterColumn>? PrinterColumns(ResourceKind kind) => printerColumns.GetValueOrDefault((kind.GroupVersion, kind.Plural));

    public static readonly ResourceKind Namespace = new("", "v1", "Namespace", "namespaces", false, ShortName: "ns");
    public static readonly ResourceKind Node = new("", "v1", "Node", "nodes", false, ShortName: "no");
    public static readonly ResourceKind ConfigMap = new("", "v1", "ConfigMap", "configmaps", true, false, "cm");
    public static readonly ResourceKind Secret = new("", "v1", "Secret", "secrets", true, false);
    public static readonly ResourceKind PersistentVolumeClaim = new("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, true, "pvc");
    public static readonly ResourceKind Event = new("", "v1", "Event", "events", true, false, "ev");
    public static readonly ResourceKind Lease = new("coordination.k8s.io", "v1", "Lease", "leases", true, false);
    public static readonly ResourceKind NetworkPolicy = new("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, false, "netpol");
    public static readonly ResourceKind Crd = new("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false, true, "crd");
    public static readonly ResourceKind VirtualMachine = new("kubevirt.io", "v1", "VirtualMachine", "virtualmachines", true, true, "vm");
    public static readonly ResourceKind VirtualMachineInstance = new("kubevirt.io", "v1", "VirtualMachineInstance", "virtualmachineinstances", true, true, "vmi");
    public static readonly ResourceKind Migration = new("kubevirt.io", "v1", "VirtualMachineInstanceMigration", "virtualmachineinstancemigrations", true, true, "vmim");
    public static readonly ResourceKind KubeVirt = new("kubevirt.io", "v1", "KubeVirt", "kubevirts", true, true, "kv");
    public static readonly ResourceKind MigrationPolicy = new("migrations.kubevirt.io", "v1alpha1", "MigrationPolicy", "migrationpolicies", false, true);
    public static readonly ResourceKind Snapshot = new("snapshot.kubevirt.io", "v1beta1", "VirtualMachineSnapshot", "virtualmachinesnapshots", true, true, "vmsnapshot");
    public static readonly ResourceKind Export = new("export.kubevirt.io", "v1", "VirtualMachineExport", "virtualmachineexports", true, true, "vmexport");
    public static readonly ResourceKind DataVolume = new("cdi.kubevirt.io", "v1beta1", "DataVolume", "datavolumes", true, true, "dv");
    public static readonly ResourceKind PrometheusRule = new("monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules", true, false);

    /// <param name="exportVersions">The export.kubevirt.io versions the cluster's KubeVirt release serves.</param>
    public ResourceRegistry(IEnumerable<string>? exportVersions = null)
    {
        foreach (var kind in new[] { Namespace, Node, ConfigMap, Secret, PersistentVolumeClaim, Event, Lease, NetworkPolicy, Crd, VirtualMachine, VirtualMachineInstance, Migration, KubeVirt, MigrationPolicy, Snapshot, DataVolume, PrometheusRule })
        {
            Add(kind);
        }

        foreach (var version in exportVersions ?? [Export.Version])
        {
            Add(Export with { Version = version });
        }
    }

    public void Add(ResourceKind kind) => kinds[(kind.GroupVersion, kind.Plural)] = kind;

    public ResourceKind? Find(string groupVersion, string plural) => kinds.GetValueOrDefault((groupVersion, plural));

    /// <summary>Any served version of a resource (objects are stored once per group and plural).</summary>
    public ResourceKind? FindResource(string group, string plural) => kinds.Values.FirstOrDefault(k => k.Group == group && k.Plural == plural);

    public ResourceKind? FindKind(string apiVersion, string kind) => kinds.Values.FirstOrDefault(k => k.GroupVersion == apiVersion && k.Kind == kind);

    public IReadOnlyList<ResourceKind> All => [.. kinds.Values.OrderBy(k => k.Group, StringComparer.Ordinal).ThenBy(k => k.Plural, StringComparer.Ordinal)];

    /// <summary>Registers every served version of a CustomResourceDefinition, as the API server does once it is established.</summary>
    public IReadOnlyList<ResourceKind> AddCrd(JsonObject crd)
    {
        var spec = crd["spec"]!;
        var group = spec["group"]!.GetValue<string>();
        var names = spec["names"]!;
        var added = new List<ResourceKind>();
        foreach (var version in spec["versions"]!.AsArray().Where(v => v!["served"]?.GetValue<bool>() != false))
        {
            var kind = new ResourceKind(group, version!["name"]!.GetValue<string>(), names["kind"]!.GetValue<string>(), names["plural"]!.GetValue<string>(),
                spec["scope"]?.GetValue<string>() != "Cluster", version["subresources"]?["status"] is not null,
                names["shortNames"]?.AsArray().FirstOrDefault()?.GetValue<string>());
            Add(kind);
            if (PrinterColumn.Of(version) is { } columns)
            {
                printerColumns[(kind.GroupVersion, kind.Plural)] = columns;
            }
            else
            {
                printerColumns.TryRemove((kind.GroupVersion, kind.Plural), out _);
            }

            added.Add(kind);
        }

        return added;
    }
}
