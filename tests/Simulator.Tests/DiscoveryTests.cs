using System.Text.RegularExpressions;
using Reconcile.Cli;
using Reconcile.Compiler;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Rendering;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// The round trip: a world's plan files → the simulator serving them (and a real Prometheus scraping
/// its metrics) → `reconcile discover` → validate → plan. What an API can tell comes back equal; what
/// none can (links, the pod network's MTU, storage replication, guest timings) comes back from --keep.
/// </summary>
public sealed class DiscoveryTests
{
    internal static (int Exit, string Out, string Error) Discover(string cwd, params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exit = Program.Run(["discover", .. args], new IOContext(output, error, cwd));
        return (exit, output.ToString(), error.ToString());
    }

    internal static string[] Contexts(PlanSet world) => [.. world.Topologies[0].Clusters.SelectMany(c => new[] { "--context", c.Name })];

    [SkippableTheory]
    [InlineData("onprem-to-cloud")]
    [InlineData("fra-to-sgp")]
    [InlineData("node-drain")]
    public async Task Discovered_files_validate_and_plan_to_the_same_graph_and_manifests_as_the_world_they_came_from(string example)
    {
        RealPrometheus.Binary();
        var world = FrozenWorld.Load(example).Model;
        await using var sim = await RunningSimulator.Start(example);
        await using var prometheus = await RealPrometheus.Start(sim.Host.BaseAddress);
        var rated = world.Inventories.SelectMany(i => i.Vms).Count(v => v.DirtyBytesPerSecond > 0);
        // Every dirty-rate series is in, and every write counter has the two samples irate() needs at two
        // steps of discover's subquery (a 5m lookback samples every 3 s, at multiples of 3 s).
        await prometheus.WaitFor(async () => await prometheus.Scalar("count(kubevirt_vmi_dirty_rate_bytes_per_second)") == rated &&
            await prometheus.Scalar("min(count_over_time(kubevirt_vmi_storage_write_traffic_bytes_total[5m]))") >= 8, "done scraping every guest");

        // Discovered alone: everything an API or Prometheus says, links unmeasured.
        var alone = Path.Combine(sim.Directory, "alone");
        var (exit, _, error) = Discover(sim.Directory, ["--kubeconfig", sim.Kubeconfig, .. Contexts(world), "--prometheus", prometheus.Url.ToString(), "--lookback", "5m", "--out", alone]);
        Assert.True(exit == 0, error);
        var discovered = PlanValidator.Validate([alone], alone);
        Assert.DoesNotContain(discovered.Diagnostics, d => d.IsError);
        var clusters = world.Topologies[0].Clusters.Length;
        Assert.Equal(clusters * (clusters - 1) / 2, discovered.Diagnostics.Count(d => d.Code == "RC3029"));
        AssertSameVms(world, discovered.Model);

        // Kept from the world's files what no API gives, the discovered files plan exactly as the world's own.
        var kept = Path.Combine(sim.Directory, "kept");
        (exit, _, error) = Discover(sim.Directory, ["--kubeconfig", sim.Kubeconfig, .. Contexts(world), "--prometheus", prometheus.Url.ToString(), "--lookback", "5m",
            "--keep", Repository.PathOf("plans", "examples", example), "--out", kept]);
        Assert.True(exit == 0, error);
        File.Copy(Repository.PathOf("plans", "examples", example, "plan.yaml"), Path.Combine(kept, "plan.yaml"));
        var expected = Compile(Repository.PathOf("plans", "examples", example));
        var actual = Compile(kept);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (file, text) in expected)
        {
            Assert.True(text == actual[file], $"{file} differs between the world's files and the discovered ones");
        }
    }

    /// <summary>Same VMs where they are, same sizes, classes, networks and devices; rates within KubeVirt's 1 MiB/s resolution.</summary>
    private static void AssertSameVms(PlanSet world, PlanSet discovered)
    {
        var found = discovered.Inventories.SelectMany(i => i.Vms).ToDictionary(v => $"{v.Cluster}:{v.Id}");
        Assert.Equal(world.Inventories.SelectMany(i => i.Vms).Select(v => $"{v.Cluster}:{v.Id}").Order(), found.Keys.Order());
        foreach (var vm in world.Inventories.SelectMany(i => i.Vms))
        {
            var twin = found[$"{vm.Cluster}:{vm.Id}"];
            Assert.Equal((vm.Node, vm.MemoryBytes, vm.Cpu.Cores ?? 1, vm.Cpu.Model, vm.Cpu.Dedicated, vm.Cpu.Limit, vm.HugepagesBytes, vm.EvictionStrategy, vm.TerminationGracePeriod),
                (twin.Node, twin.MemoryBytes, twin.Cpu.Cores, twin.Cpu.Model, twin.Cpu.Dedicated, twin.Cpu.Limit, twin.HugepagesBytes, twin.EvictionStrategy, twin.TerminationGracePeriod));
            Assert.Equal(vm.Labels.OrderBy(l => l.Key), twin.Labels.OrderBy(l => l.Key));
            Assert.Equal((vm.Guest.Os, vm.Guest.Virtio, vm.Guest.Agent), (twin.Guest.Os, twin.Guest.Virtio, twin.Guest.Agent));
            Assert.Equal(vm.Networks.Select(n => (n.Name, n.Nad)), twin.Networks.Select(n => (n.Name, n.Nad)));
            Assert.Equal(vm.HostDevices, twin.HostDevices);
            Assert.Equal(vm.Volumes.Select(v => (v.Name, v.Claim ?? $"{vm.Name}-{v.Name}", v.SizeBytes, v.StorageClass, v.AccessMode ?? "ReadWriteMany")),
                twin.Volumes.Select(v => (v.Name, v.Claim!, v.SizeBytes, v.StorageClass, v.AccessMode!)));
            Assert.InRange(twin.DirtyBytesPerSecond, vm.DirtyBytesPerSecond - (1 << 20), vm.DirtyBytesPerSecond);
            foreach (var (written, read) in vm.Volumes.Zip(twin.Volumes))
            {
                // irate between two scrapes a second apart, rounded to whole MiB/s.
                Assert.InRange(read.WriteBytesPerSecond, written.WriteBytesPerSecond - (1 << 20), written.WriteBytesPerSecond + (1 << 20));
            }
        }
    }

    /// <summary>Every file `compile` writes for the plans in <paramref name="directory"/>, with the inputs' digests and source locations (which name the files) masked.</summary>
    internal static IReadOnlyDictionary<string, string> Compile(string directory)
    {
        var validation = PlanValidator.Validate([directory], directory);
        Assert.False(validation.HasErrors, string.Join("\n", validation.Diagnostics));
        var result = Compilation.Run(validation, FrozenWorld.Start, new TemplateSet(null, Repository.Root));
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return result.Files.ToDictionary(f => f.Key, f => Regex.Replace(Regex.Replace(f.Value, "sha256:[0-9a-f]{64}", "sha256:…"), @"[\w./-]+\.yaml:\d+:\d+", "FILE:LINE:COLUMN"));
    }
}
