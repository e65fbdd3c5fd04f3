using System.Globalization;
using System.Text;
using Reconcile.Cli.Simulation;
using Reconcile.Compiler;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// Synthetic WAN fleets (RTT 120–250 ms, issue 12): the planner's predictions and the simulator's own
/// transport agree within 20% per live migration and 10% on the makespan, in simulated time.
/// </summary>
public sealed class WanFleetAgreementTests
{
    private static string Fleet(int rttMs, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $$"""
            apiVersion: migration.reconcile.dev/v1alpha1
            kind: Topology
            metadata: {name: wan}
            spec:
              clusters:
                - name: src
                  region: eu
                  kubevirt: {version: v1.10.0, synchronizationAddress: "sync.src.example.net:9185"}
                  migration: {cidr: 10.1.0.0/24, tls: true, mtu: 1500}
                  nodes:
                    - {name: src-w1, cpuModel: Cascadelake-Server, memory: 512Gi}
                    - {name: src-w2, cpuModel: Cascadelake-Server, memory: 512Gi}
                  storageClasses:
                    - {name: rwx, accessModes: [ReadWriteMany], reclaimPolicy: Retain, volumeBindingMode: WaitForFirstConsumer}
                - name: dst
                  region: ap
                  kubevirt: {version: v1.10.0, synchronizationAddress: "sync.dst.example.net:9185"}
                  migration: {cidr: 10.2.0.0/24, tls: true, mtu: 1500}
                  nodes:
                    - {name: dst-w1, cpuModel: Cascadelake-Server, memory: 512Gi}
                    - {name: dst-w2, cpuModel: Cascadelake-Server, memory: 512Gi}
                  storageClasses:
                    - {name: rwx, accessModes: [ReadWriteMany], reclaimPolicy: Retain, volumeBindingMode: WaitForFirstConsumer}
              links:
                - {between: [src, dst], latency: {{rttMs}}ms, bandwidth: 10Gbps, encrypted: true}
            ---
            apiVersion: migration.reconcile.dev/v1alpha1
            kind: Inventory
            metadata: {name: src-vms}
            spec:
              cluster: src
              vms:

            """));
        for (var i = 0; i < 6; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"    - {{name: vm-{i}, namespace: shop, node: src-w{1 + i % 2}, memory: {4 << random.Next(3)}Gi, dirtyRate: {random.Next(2, 30)}Mi, " +
                $"guest: {{os: linux, virtio: true, agent: true}}, evictionStrategy: LiveMigrate, " +
                $"volumes: [{{name: root, size: {random.Next(10, 40)}Gi, storageClass: rwx, accessMode: ReadWriteMany, reclaimPolicy: Retain, writeRate: {random.Next(0, 4)}Mi}}]}}\n");
        }

        text.Append("""
            ---
            apiVersion: migration.reconcile.dev/v1alpha1
            kind: MigrationPlan
            metadata: {name: wan-move}
            spec:
              topology: wan
              notBefore: 2027-03-01T00:00:00Z
              moves:
                - {name: shop, from: src, to: dst, select: {namespaces: [shop]}}
              windows:
                timeZone: UTC
                allow:
                  - {name: day, cron: "0 0 * * *", duration: 23h}
              strategy:
                bandwidthPerMigration: 2Gbps
                allowAutoConverge: true
                canary: 1
              checks:
                maxLiveLatency: 300ms

            """);
        return text.ToString();
    }

    [Theory]
    [InlineData(120, 1)]
    [InlineData(170, 2)]
    [InlineData(250, 3)]
    public async Task Predictions_and_the_simulator_agree_on_long_round_trips(int rttMs, int seed)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("wan.yaml"), Fleet(rttMs, seed));
        var validation = PlanValidator.Validate(["."], dir.Path);
        Assert.False(validation.HasErrors, string.Join("\n", validation.Diagnostics));
        var result = Compilation.Run(validation, new DateTime(2027, 3, 1, 0, 0, 0, DateTimeKind.Utc), new TemplateSet(null, Repository.Root));
        var campaign = CompiledCampaign.Of(result, result.Graphs.Single().Plan);
        var report = await SimulationRunner.RunAsync(validation, campaign, seed, []);
        Assert.True(report.Completed, string.Join("\n", report.Events.TakeLast(10)));
        foreach (var live in report.Steps.Where(s => s.Step.Predicted.Transfer?.Mode == TransferMode.Live))
        {
            var simulated = (live.End!.Value - live.Start!.Value).TotalSeconds;
            Assert.True(Math.Abs(simulated - live.Step.Predicted.Seconds) <= Math.Max(60, 0.2 * live.Step.Predicted.Seconds),
                $"{rttMs} ms, {live.Step.Id}: predicted {live.Step.Predicted.Seconds} s, simulated {simulated} s");
        }

        var predicted = campaign.Graph.MakespanSeconds;
        Assert.InRange(report.Makespan.TotalSeconds, predicted * 0.9, predicted * 1.1);
    }
}
