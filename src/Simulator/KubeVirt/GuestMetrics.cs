using Reconcile.Simulator.Api;
using Reconcile.Simulator.World;

namespace Reconcile.Simulator.KubeVirt;

/// <summary>
/// What virt-handler's domain-stats collector exports for each running VMI, from the world's guests:
/// <c>kubevirt_vmi_dirty_rate_bytes_per_second</c> (libvirt's dirty-rate estimate, reported in whole
/// MiB/s: dirty_rate_metrics.go multiplies MegabytesPerSecond by 1024², v1.6.0-v1.9.0) and
/// <c>kubevirt_vmi_storage_write_traffic_bytes_total</c> per drive (block_metrics.go; the drive label is
/// the disk's name, the domain alias without its "ua-" prefix). Labels namespace, name and node, as
/// domainstats.go sets them. A guest the Inventory gives no dirty rate exports none, as a VMI whose
/// dirty-rate stats libvirt did not set.
/// </summary>
/// <remarks>
/// Prometheus stamps each scrape with its own clock, so the write counters advance with wall-clock time
/// (<paramref name="wallSeconds"/>), not simulated time, and /metrics stamps them with the instant they
/// were read at: a rate Prometheus computes is then the world's write rate whatever the simulation's
/// speed and however late a scrape is answered.
/// </remarks>
public static class GuestMetrics
{
    public const string DirtyRate = "kubevirt_vmi_dirty_rate_bytes_per_second";
    public const string WriteTraffic = "kubevirt_vmi_storage_write_traffic_bytes_total";

    public static IEnumerable<(string Cluster, string Metric, IReadOnlyList<(string, string)> Labels, double Value)> Samples(SimulatedWorld world, double wallSeconds)
    {
        foreach (var cluster in world.Clusters.Values)
        {
            var (vmis, _) = cluster.Store.List(ResourceRegistry.VirtualMachineInstance, null);
            foreach (var vmi in vmis.Where(v => v["status"]?["phase"]?.GetValue<string>() == "Running"))
            {
                if (world.GuestOf(vmi) is not { } guest)
                {
                    continue;
                }

                var meta = vmi["metadata"]!;
                var ns = meta["namespace"]!.GetValue<string>();
                var name = meta["name"]!.GetValue<string>();
                var node = vmi["status"]?["nodeName"]?.GetValue<string>() ?? "";
                (string, string)[] labels = [("namespace", ns), ("name", name), ("node", node)];
                if (guest.DirtyBytesPerSecond > 0)
                {
                    yield return (cluster.Name, DirtyRate, labels, Math.Floor(guest.DirtyBytesPerSecond / (double)(1 << 20)) * (1 << 20));
                }

                foreach (var volume in guest.Volumes)
                {
                    yield return (cluster.Name, WriteTraffic, [.. labels, ("drive", volume.Name)], Math.Floor(volume.WriteBytesPerSecond * wallSeconds));
                }
            }
        }
    }

    public static bool IsCounter(string metric) => metric == WriteTraffic;
}
