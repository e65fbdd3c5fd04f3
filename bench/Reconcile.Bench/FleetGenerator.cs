using System.Globalization;
using System.Text;

namespace Reconcile.Bench;

/// <summary>The shape of a synthetic campaign.</summary>
/// <param name="Clusters">Clusters, in pairs of regions: cluster c moves its VMs to cluster c + Clusters/2.</param>
/// <param name="Windows">Nightly 4-hour windows in Europe/Berlin and a two-day freeze; false: always open.</param>
/// <param name="LinkGbps">Bandwidth of each cross-region link.</param>
public sealed record FleetShape(int Vms, int Clusters = 2, bool Windows = false, int LinkGbps = 40, int Seed = 42);

/// <summary>
/// A seeded synthetic campaign: 16 nodes per cluster, a cross-region link per cluster pair, three
/// dependent moves per source cluster (tiers t0 → t1 → t2), and a fleet with the memory and
/// dirty-rate mix of model-notes.md §5 (60% idle, 30% moderate, 10% heavy).
/// </summary>
public static class FleetGenerator
{
    public static (string Topology, string Inventory, string Plan) Generate(FleetShape shape)
    {
        var random = new Random(shape.Seed);
        var half = Math.Max(1, shape.Clusters / 2);
        var clusters = Enumerable.Range(0, Math.Max(2, shape.Clusters)).Select(i => $"c{i:00}").ToList();
        var topology = new StringBuilder("apiVersion: migration.reconcile.dev/v1alpha1\nkind: Topology\nmetadata: {name: bench}\nspec:\n  clusters:\n");
        // Nodes big enough for every VM a target cluster receives, at the largest VM size (RC3026 checks the campaign's capacity).
        var nodeGi = Math.Max(1024, (int)Math.Ceiling(shape.Vms / (double)half * 64 / 16));
        for (var c = 0; c < clusters.Count; c++)
        {
            topology.Append(Inv($"    - name: {clusters[c]}\n      region: r{c % half}{(c < half ? "a" : "b")}\n      kubevirt: {{version: v1.10.0, synchronizationAddress: \"sync.{clusters[c]}.example.net:9185\"}}\n"));
            topology.Append(Inv($"      migration: {{cidr: 10.{c}.0.0/16, tls: true, mtu: 9000}}\n      nodes:\n"));
            for (var n = 0; n < 16; n++)
            {
                topology.Append(Inv($"        - {{name: {clusters[c]}-w{n}, cpuModel: Cascadelake-Server, memory: {nodeGi}Gi}}\n"));
            }

            topology.Append("      storageClasses:\n        - {name: rwx, accessModes: [ReadWriteMany], reclaimPolicy: Retain, volumeBindingMode: WaitForFirstConsumer}\n");
        }

        topology.Append("  links:\n");
        for (var c = 0; c < half; c++)
        {
            topology.Append(Inv($"    - {{between: [{clusters[c]}, {clusters[c + half]}], latency: {5 + c % 30}ms, bandwidth: {shape.LinkGbps}Gbps, encrypted: true}}\n"));
        }

        int[] memories = [2, 4, 8, 16, 32, 64];
        var inventories = new StringBuilder();
        var perCluster = Enumerable.Range(0, half).ToDictionary(c => c, _ => new StringBuilder());
        for (var i = 0; i < shape.Vms; i++)
        {
            var c = i % half;
            var roll = random.NextDouble();
            var dirty = roll < 0.6 ? random.Next(1, 10) : roll < 0.9 ? random.Next(50, 300) : random.Next(300, 600);
            perCluster[c].Append(Inv($"    - {{name: vm-{i}, namespace: team-{i % 20}, node: {clusters[c]}-w{i / half % 16}, labels: {{app: app-{i % 50}, tier: t{i % 3}}}, memory: {memories[random.Next(memories.Length)]}Gi, dirtyRate: {dirty}Mi, guest: {{os: linux, agent: true}}, volumes: [{{name: root, size: {random.Next(20, 200)}Gi, storageClass: rwx, accessMode: ReadWriteMany, reclaimPolicy: Retain}}]}}\n"));
        }

        foreach (var (c, text) in perCluster)
        {
            inventories.Append(Inv($"---\napiVersion: migration.reconcile.dev/v1alpha1\nkind: Inventory\nmetadata: {{name: {clusters[c]}-vms}}\nspec:\n  cluster: {clusters[c]}\n  vms:\n")).Append(text);
        }

        var plan = new StringBuilder("apiVersion: migration.reconcile.dev/v1alpha1\nkind: MigrationPlan\nmetadata: {name: bench-plan}\nspec:\n  topology: bench\n  notBefore: 2027-03-01T00:00:00Z\n  horizon: 8760h\n  moves:\n");
        for (var c = 0; c < half; c++)
        {
            for (var t = 0; t < 3; t++)
            {
                plan.Append(Inv($"    - {{name: {clusters[c]}-t{t}, from: {clusters[c]}, to: {clusters[c + half]}, select: {{labels: {{tier: t{t}}}}}{(t > 0 ? $", after: [{clusters[c]}-t{t - 1}]" : "")}}}\n"));
            }
        }

        plan.Append("  priorities:\n    - {name: high, value: 100, select: {labels: {app: app-0}}}\n    - {name: rest, value: 0}\n");
        plan.Append("  groups:\n    - {name: app-1, select: {labels: {app: app-1}}, maxConcurrent: 2}\n");
        if (shape.Windows)
        {
            plan.Append("  windows:\n    timeZone: Europe/Berlin\n    allow:\n      - {name: nights, cron: \"0 23 * * *\", duration: 4h}\n    deny:\n      - {name: freeze, start: \"2027-03-10T00:00:00Z\", end: \"2027-03-12T00:00:00Z\"}\n");
        }

        plan.Append("  strategy:\n    bandwidthPerMigration: 10Gbps\n    allowAutoConverge: true\n    allowPostCopy: false\n    parallelism: {perCluster: 5, perNode: 2, perLink: 4}\n  suppress: [RC5003]\n");
        return (topology.ToString(), inventories.ToString(), plan.ToString());
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
