using System.Globalization;
using System.Text;

namespace Reconcile.Compiler.Tests;

/// <summary>
/// Random but mostly valid campaigns for property tests: 1-4 clusters in 1-2 regions, random links,
/// 1-25 VMs, moves with `after` dependencies, groups, priorities, windows in several time zones
/// across the March daylight-saving changes, deny windows, and every strategy mode.
/// </summary>
internal static class RandomFleet
{
    private static readonly string[] Zones = ["UTC", "Europe/Berlin", "Asia/Shanghai", "America/New_York"];

    public static string Generate(int seed)
    {
        var random = new Random(seed);
        var yaml = new StringBuilder();
        var clusters = Enumerable.Range(0, random.Next(1, 5)).Select(i => $"c{i}").ToList();
        var region = clusters.ToDictionary(c => c, _ => $"r{random.Next(2)}");
        var nodes = clusters.ToDictionary(c => c, c => Enumerable.Range(0, random.Next(1, 5)).Select(n => $"{c}-n{n}").ToList());
        var links = new HashSet<(string, string)>();

        yaml.Append("apiVersion: migration.reconcile.dev/v1alpha1\nkind: Topology\nmetadata: {name: world}\nspec:\n  clusters:\n");
        foreach (var c in clusters)
        {
            yaml.Append(Inv($"    - name: {c}\n      region: {region[c]}\n      kubevirt: {{version: v1.10.0, synchronizationAddress: \"sync.{c}.example.net:9185\", exportAddress: \"export.{c}.example.net\"}}\n"));
            yaml.Append(Inv($"      migration: {{cidr: 10.{clusters.IndexOf(c)}.0.0/16, tls: true, mtu: 1500, bandwidth: {random.Next(1, 26)}Gbps, parallelMigrationsPerCluster: {random.Next(2, 6)}, parallelOutboundMigrationsPerNode: {random.Next(1, 3)}}}\n"));
            yaml.Append("      nodes:\n");
            foreach (var n in nodes[c])
            {
                yaml.Append(Inv($"        - {{name: {n}, cpuModel: Cascadelake-Server, memory: 512Gi}}\n"));
            }

            var shared = clusters.Where(o => o != c && random.NextDouble() < 0.3).ToList();
            yaml.Append(Inv($"      storageClasses:\n        - {{name: rwx, accessModes: [ReadWriteMany], reclaimPolicy: Retain, volumeBindingMode: WaitForFirstConsumer, sharedWith: [{string.Join(", ", shared)}]}}\n"));
        }

        yaml.Append("  links:\n");
        for (var i = 0; i < clusters.Count; i++)
        {
            for (var j = i + 1; j < clusters.Count; j++)
            {
                if (random.NextDouble() < 0.75)
                {
                    links.Add((clusters[i], clusters[j]));
                    yaml.Append(Inv($"    - {{between: [{clusters[i]}, {clusters[j]}], latency: {random.Next(1, 40)}ms, bandwidth: {random.Next(1, 41)}Gbps, encrypted: true}}\n"));
                }
            }
        }

        if (links.Count == 0)
        {
            yaml.Length -= "  links:\n".Length;
        }

        bool Linked(string a, string b) => a == b || links.Contains((a, b)) || links.Contains((b, a));

        // Moves first; each VM then belongs to one move and lives on its source cluster.
        var moves = new List<(string Name, string From, string To, string? Via)>();
        var moveText = new StringBuilder();
        for (var m = 0; m < random.Next(1, 5); m++)
        {
            var from = clusters[random.Next(clusters.Count)];
            var targets = clusters.Where(t => Linked(from, t)).ToList();
            var to = targets[random.Next(targets.Count)];
            var via = clusters.FirstOrDefault(v => v != from && v != to && from != to && Linked(from, v) && Linked(v, to) && region[v] == region[from] && random.NextDouble() < 0.3);
            moves.Add(($"m{m}", from, to, via));
            var after = Enumerable.Range(0, m).Where(_ => random.NextDouble() < 0.4).Select(a => $"m{a}").ToList();
            var mode = random.Next(6) switch { 0 => ", mode: Cold", 1 => ", mode: Staged", _ => "" };
            moveText.Append(Inv($"    - {{name: m{m}, from: {from}, to: {to}{(via is null ? "" : $", via: {via}")}, select: {{labels: {{m: m{m}}}}}{mode}{(after.Count > 0 ? $", after: [{string.Join(", ", after)}]" : "")}}}\n"));
        }

        var vmCount = random.Next(1, 26);
        var byCluster = new Dictionary<string, StringBuilder>();
        for (var v = 0; v < vmCount; v++)
        {
            var move = moves[random.Next(moves.Count)];
            var text = byCluster.TryGetValue(move.From, out var existing) ? existing : byCluster[move.From] = new StringBuilder();
            var node = nodes[move.From][random.Next(nodes[move.From].Count)];
            text.Append(Inv($"    - {{name: vm-{v}, namespace: ns{random.Next(3)}, node: {node}, labels: {{m: {move.Name}, g: g{random.Next(3)}}}, memory: {random.Next(1, 65)}Gi, dirtyRate: {random.Next(0, 60)}Mi, guest: {{os: linux, agent: true}}, evictionStrategy: LiveMigrate, volumes: [{{name: root, size: {random.Next(5, 200)}Gi, storageClass: rwx, accessMode: ReadWriteMany, reclaimPolicy: Retain, writeRate: {random.Next(0, 10)}Mi}}]}}\n"));
        }

        foreach (var (cluster, text) in byCluster.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            yaml.Append(Inv($"---\napiVersion: migration.reconcile.dev/v1alpha1\nkind: Inventory\nmetadata: {{name: inv-{cluster}}}\nspec:\n  cluster: {cluster}\n  vms:\n")).Append(text);
        }

        yaml.Append("---\napiVersion: migration.reconcile.dev/v1alpha1\nkind: MigrationPlan\nmetadata: {name: random}\nspec:\n  topology: world\n  notBefore: 2027-03-20T00:00:00Z\n  moves:\n");
        yaml.Append(moveText);
        yaml.Append(Inv($"  priorities:\n    - {{name: high, value: {random.Next(10, 100)}, select: {{labels: {{g: g0}}}}}}\n    - {{name: rest, value: 0}}\n"));
        if (random.NextDouble() < 0.5)
        {
            yaml.Append(Inv($"  groups:\n    - {{name: grp, select: {{labels: {{g: g1}}}}, maxConcurrent: {random.Next(1, 3)}}}\n"));
        }

        if (random.NextDouble() < 0.7)
        {
            yaml.Append(Inv($"  windows:\n    timeZone: {Zones[random.Next(Zones.Length)]}\n    allow:\n"));
            for (var w = 0; w < random.Next(1, 4); w++)
            {
                var days = random.Next(3) switch { 0 => "*", 1 => "1-5", _ => "6,0" };
                var scope = random.NextDouble() < 0.2 ? $", clusters: [{string.Join(", ", clusters.Where(_ => random.NextDouble() < 0.7).DefaultIfEmpty(clusters[0]))}]" : "";
                yaml.Append(Inv($"      - {{name: w{w}, cron: \"{random.Next(0, 60)} {random.Next(0, 24)} * * {days}\", duration: {random.Next(2, 12)}h, timeZone: {Zones[random.Next(Zones.Length)]}{scope}}}\n"));
            }

            if (random.NextDouble() < 0.4)
            {
                var start = new DateTime(2027, 3, 20, 0, 0, 0, DateTimeKind.Utc).AddHours(random.Next(0, 24 * 20));
                yaml.Append(Inv($"    deny:\n      - {{name: freeze, start: \"{start:yyyy-MM-ddTHH:mm:ssZ}\", end: \"{start.AddHours(random.Next(1, 72)):yyyy-MM-ddTHH:mm:ssZ}\"}}\n"));
            }
        }

        var perCluster = random.Next(1, 3);
        var perNode = 1;
        var bandwidth = random.NextDouble() < 0.5 ? Inv($"    bandwidthPerMigration: {random.Next(1, 11)}Gbps\n") : "";
        yaml.Append(Inv($"  strategy:\n{bandwidth}    allowAutoConverge: true\n    parallelism: {{perCluster: {perCluster}, perNode: {perNode}, perLink: {random.Next(1, 5)}}}\n    canary: {random.Next(0, 3)}\n    snapshotBefore: {(random.NextDouble() < 0.5 ? "true" : "false")}\n    replicateOutsideWindows: {(random.NextDouble() < 0.7 ? "true" : "false")}\n"));
        return yaml.ToString();
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
