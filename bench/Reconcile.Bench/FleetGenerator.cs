using System.Globalization;
using System.Text;

namespace Reconcile.Bench;

/// <summary>
/// A seeded synthetic campaign: two regions, clusters of 16 nodes, and a fleet of the given size
/// with the memory and dirty-rate mix of model-notes.md §5 (60% idle, 30% moderate, 10% heavy).
/// </summary>
public static class FleetGenerator
{
    public static (string Topology, string Inventory, string Plan) Generate(int vms, int seed = 42)
    {
        var random = new Random(seed);
        var topology = new StringBuilder("""
            apiVersion: migration.reconcile.dev/v1alpha1
            kind: Topology
            metadata: {name: bench}
            spec:
              clusters:

            """);
        foreach (var (cluster, region, model) in new[] { ("src", "eu", "Cascadelake-Server"), ("dst", "eu", "Icelake-Server") })
        {
            topology.Append(CultureInfo.InvariantCulture, $"""
                    - name: {cluster}
                      region: {region}
                      kubevirt: {"{"}version: v1.10.0{"}"}
                      migration: {"{"}cidr: 10.{(cluster == "src" ? 1 : 2)}.0.0/16, ports: 49152-49215, tls: true, mtu: 9000{"}"}
                      nodes:

                """);
            for (var n = 0; n < 16; n++)
            {
                topology.Append(CultureInfo.InvariantCulture, $"        - {{name: {cluster}-w{n}, cpuModel: {model}, memory: 1Ti}}\n");
            }

            topology.Append("      storageClasses:\n        - {name: rwx, accessModes: [ReadWriteMany], reclaimPolicy: Retain, volumeBindingMode: WaitForFirstConsumer}\n");
        }

        topology.Append("  links:\n    - {between: [src, dst], latency: 5ms, bandwidth: 40Gbps, encrypted: true}\n");

        int[] memories = [2, 4, 8, 16, 32, 64];
        var inventory = new StringBuilder("apiVersion: migration.reconcile.dev/v1alpha1\nkind: Inventory\nmetadata: {name: src-vms}\nspec:\n  cluster: src\n  vms:\n");
        for (var i = 0; i < vms; i++)
        {
            var roll = random.NextDouble();
            var dirty = roll < 0.6 ? random.Next(1, 10) : roll < 0.9 ? random.Next(50, 300) : random.Next(300, 450);
            inventory.Append(CultureInfo.InvariantCulture, $"""
                    - name: vm-{i}
                      namespace: team-{i % 20}
                      node: src-w{i % 16}
                      labels: {"{"}app: app-{i % 50}, tier: t{i % 3}{"}"}
                      memory: {memories[random.Next(memories.Length)]}Gi
                      cpu: {"{"}cores: 4{"}"}
                      dirtyRate: {dirty}Mi
                      guest: {"{"}os: linux, agent: true{"}"}
                      volumes:
                        - {"{"}name: root, size: {random.Next(20, 200)}Gi, storageClass: rwx, accessMode: ReadWriteMany, reclaimPolicy: Retain{"}"}

                """);
        }

        var plan = new StringBuilder("""
            apiVersion: migration.reconcile.dev/v1alpha1
            kind: MigrationPlan
            metadata: {name: bench-plan}
            spec:
              topology: bench
              notBefore: 2027-03-01T00:00:00Z
              moves:

            """);
        for (var t = 0; t < 3; t++)
        {
            plan.Append(CultureInfo.InvariantCulture, $"    - {{name: tier-{t}, from: src, to: dst, select: {{labels: {{tier: t{t}}}}}{(t > 0 ? $", after: [tier-{t - 1}]" : "")}}}\n");
        }

        plan.Append("""
              priorities:
                - {name: high, value: 100, select: {labels: {tier: t0}}}
                - {name: rest, value: 0}
              groups:
                - {name: app-0, select: {labels: {app: app-0}}, maxConcurrent: 1}
              windows:
                timeZone: Europe/Berlin
                allow:
                  - {name: nights, cron: "0 22 * * *", duration: 8h}
                deny:
                  - {name: freeze, start: "2027-03-10T00:00:00Z", end: "2027-03-12T00:00:00Z"}
              strategy:
                bandwidthPerMigration: 8Gbps
                allowAutoConverge: true
                parallelism: {perCluster: 5, perNode: 2, perLink: 5}
              suppress: [RC5003]

            """);
        return (topology.ToString(), inventory.ToString(), plan.ToString());
    }
}
