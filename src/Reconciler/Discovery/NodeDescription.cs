using System.Text.Json.Nodes;
using static Reconcile.Reconciler.Discovery.PlanValues;

namespace Reconcile.Reconciler.Discovery;

/// <summary>
/// A Topology node from a Node object: allocatable CPU, memory and hugepages (what the scheduler can
/// place, not capacity), the host CPU model KubeVirt's node labeller found, and the labels a user would
/// select nodes by. Labels that components write for themselves are left out: KubeVirt's
/// (kubevirt.io/…, *.kubevirt.io/…, cpumanager), the kubelet's identity labels and the region, which is
/// the cluster's.
/// </summary>
public static class NodeDescription
{
    /// <summary>Prefix of the label KubeVirt's node labeller names the node's own CPU model with (HostModelCPULabel, staging/src/kubevirt.io/api/core/v1/types.go).</summary>
    public const string HostModelLabel = "host-model-cpu.node.kubevirt.io/";

    private static readonly HashSet<string> OwnLabels = new(StringComparer.Ordinal)
    {
        "kubernetes.io/hostname", "kubernetes.io/os", "kubernetes.io/arch", "cpumanager", ClusterDescription.RegionLabel,
    };

    public static (YamlValue Value, string? Comment) Describe(JsonObject node)
    {
        var meta = node["metadata"];
        var entries = new List<YamlEntry> { new("name", YamlScalar.Of(Str(meta?["name"]) ?? "")) };
        var labels = (meta?["labels"] as JsonObject)?.Select(l => (l.Key, Value: Str(l.Value) ?? "")).ToList() ?? [];
        var models = labels.Where(l => l.Key.StartsWith(HostModelLabel, StringComparison.Ordinal) && l.Value == "true").Select(l => l.Key[HostModelLabel.Length..]).Order(StringComparer.Ordinal).ToList();
        if (models.Count > 0)
        {
            entries.Add(new YamlEntry("cpuModel", YamlScalar.Of(models[0])));
        }

        var allocatable = node["status"]?["allocatable"];
        if (Quantity(allocatable?["memory"]) is { } memory and > 0)
        {
            entries.Add(new YamlEntry("memory", YamlScalar.Raw(Bytes((long)memory))));
        }

        if (Quantity(allocatable?["cpu"]) is { } cpu and >= 1)
        {
            entries.Add(new YamlEntry("cpu", YamlScalar.Of((long)Math.Floor(cpu))));
        }

        var hugepages = (allocatable as JsonObject)?.Where(r => r.Key.StartsWith("hugepages-", StringComparison.Ordinal)).Sum(r => Quantity(r.Value) ?? 0) ?? 0;
        if (hugepages > 0)
        {
            entries.Add(new YamlEntry("hugepages", YamlScalar.Raw(Bytes((long)hugepages))));
        }

        var user = labels.Where(l => !OwnLabels.Contains(l.Key) && !IsKubeVirts(l.Key) && !l.Key.StartsWith("beta.kubernetes.io/", StringComparison.Ordinal)).ToList();
        if (user.Count > 0)
        {
            entries.Add(new YamlEntry("labels", ClusterDescription.Labels(user.Select(l => KeyValuePair.Create(l.Key, l.Value)))));
        }

        var notes = new List<string>();
        if (models.Count == 0)
        {
            notes.Add("no host-model-cpu.node.kubevirt.io label: KubeVirt's node labeller has not run here");
        }

        if (Bool(node["spec"]?["unschedulable"]) == true)
        {
            notes.Add("cordoned");
        }

        return (new YamlMapping(entries, Flow: true), notes.Count > 0 ? string.Join("; ", notes) : null);
    }

    private static bool IsKubeVirts(string key)
    {
        var slash = key.IndexOf('/');
        var prefix = slash < 0 ? "" : key[..slash];
        return prefix == "kubevirt.io" || prefix.EndsWith(".kubevirt.io", StringComparison.Ordinal);
    }
}
