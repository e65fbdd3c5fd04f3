using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// The real kubectl (v1.35, from the npm package, installed by .ci/install-tools) against the
/// simulator: what Reconcile and its users do, answered as a real API server answers.
/// </summary>
public sealed class KubectlTests
{
    private static string Kubectl() => ExternalTools.Require(ExternalTools.Kubectl(), "kubectl not installed: run .ci/install-tools (CI does)");

    private static (int Exit, string Out, string Error) Run(RunningSimulator sim, params string[] args) =>
        ExternalTools.Run(Kubectl(), ["--kubeconfig", sim.Kubeconfig, .. args], 60_000);

    private static string Write(RunningSimulator sim, string name, string yaml)
    {
        var path = Path.Combine(sim.Directory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    [SkippableFact]
    public async Task Get_apply_server_side_watch_and_delete_a_VMIM_that_migrates_in_simulated_time()
    {
        Kubectl();
        await using var sim = await RunningSimulator.Start("node-drain", speed: 20);
        var (exit, nodes, error) = Run(sim, "get", "nodes", "-o", "name");
        Assert.True(exit == 0, error);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"node/ber-1-w{i}"), nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // Server-side printing: KubeVirt's columns, ages in simulated time.
        var table = Run(sim, "get", "vmi", "-n", "monitoring").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+AGE\s+PHASE\s+NODENAME\s+READY$", table[0]);
        Assert.Matches(@"^grafana-0\s+\d+s\s+Running\s+ber-1-w6\s+True$", table.Single(l => l.StartsWith("grafana-0", StringComparison.Ordinal)));
        Assert.Matches(@"^ber-1-w1\s+Ready\s+<none>\s+\d+s\s+v1.35.0$", Run(sim, "get", "nodes").Out.Split('\n')[1]);
        Assert.Contains("Server Version: v1.35.0-reconcile-simulator", Run(sim, "version").Out);

        // Watch the migration from before it exists to its end.
        var watch = Task.Run(() => ExternalTools.Run(Kubectl(), ["--kubeconfig", sim.Kubeconfig, "get", "vmim", "-n", "monitoring", "-w", "--request-timeout=6s",
            "-o", "custom-columns=NAME:.metadata.name,PHASE:.status.phase"], 60_000));
        await Task.Delay(1500);
        var manifest = Write(sim, "vmim.yaml", "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\nmetadata:\n  name: move-grafana\n  namespace: monitoring\nspec:\n  vmiName: grafana-0\n");
        var applied = Run(sim, "apply", "--server-side", "-f", manifest);
        Assert.True(applied.Exit == 0, applied.Error);
        Assert.Contains("virtualmachineinstancemigration.kubevirt.io/move-grafana serverside-applied", applied.Out);

        var phase = "";
        for (var i = 0; i < 100 && phase != "Succeeded"; i++)
        {
            await Task.Delay(200);
            phase = Run(sim, "get", "vmim", "move-grafana", "-n", "monitoring", "-o", "jsonpath={.status.phase}").Out;
        }

        Assert.Equal("Succeeded", phase);
        var node = Run(sim, "get", "vmi", "grafana-0", "-n", "monitoring", "-o", "jsonpath={.status.nodeName}").Out;
        Assert.NotEqual("ber-1-w6", node);

        // Applying the same manifest again changes nothing; a second VMIM is a second migration.
        Assert.Contains("serverside-applied", Run(sim, "apply", "--server-side", "-f", manifest).Out);
        var deleted = Run(sim, "delete", "-f", manifest);
        Assert.Contains("deleted", deleted.Out);
        var missing = Run(sim, "get", "vmim", "move-grafana", "-n", "monitoring");
        Assert.Equal(1, missing.Exit);
        Assert.Contains("Error from server (NotFound)", missing.Error);

        var (_, watched, _) = await watch;
        var phases = watched.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Last()).Distinct().ToList();
        Assert.Equal(["<none>", "Pending", "Scheduling", "Scheduled", "PreparingTarget", "TargetReady", "Running", "Succeeded"], phases);
    }

    [SkippableFact]
    public async Task Server_side_apply_conflicts_need_force_and_client_side_apply_configures()
    {
        Kubectl();
        await using var sim = await RunningSimulator.Start("node-drain");
        var policy = (string bandwidth) => $"apiVersion: migrations.kubevirt.io/v1alpha1\nkind: MigrationPolicy\nmetadata:\n  name: wave\nspec:\n  bandwidthPerMigration: {bandwidth}\n  selectors:\n    virtualMachineInstanceSelector:\n      app: grafana\n";
        var path = Write(sim, "policy.yaml", policy("1Gi"));
        Assert.Equal(0, Run(sim, "apply", "--server-side", "--field-manager=reconcile", "-f", path).Exit);
        File.WriteAllText(path, policy("2Gi"));
        var conflict = Run(sim, "apply", "--server-side", "--field-manager=someone-else", "-f", path);
        Assert.NotEqual(0, conflict.Exit);
        Assert.Contains("conflict", conflict.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(".spec.bandwidthPerMigration", conflict.Error);
        Assert.Equal(0, Run(sim, "apply", "--server-side", "--field-manager=someone-else", "--force-conflicts", "-f", path).Exit);
        Assert.Equal("2Gi", Run(sim, "get", "migrationpolicy", "wave", "-o", "jsonpath={.spec.bandwidthPerMigration}").Out);

        // Client-side apply: create, then configure through the last-applied annotation.
        var map = Write(sim, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  a: \"1\"\n");
        Assert.Contains("configmap/settings created", Run(sim, "apply", "-f", map).Out);
        File.WriteAllText(map, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  a: \"2\"\n");
        var configured = Run(sim, "apply", "-f", map);
        Assert.True(configured.Exit == 0, configured.Error);
        Assert.Contains("configmap/settings configured", configured.Out);
        Assert.Equal("2", Run(sim, "get", "configmap", "settings", "-o", "jsonpath={.data.a}").Out);
    }

    [SkippableFact]
    public async Task What_discover_reads_is_served_as_kubectl_expects_it()
    {
        Kubectl();
        await using var sim = await RunningSimulator.Start("fra-to-sgp");
        string Get(params string[] args)
        {
            var (exit, output, error) = Run(sim, ["--context", "fra-1", .. args]);
            Assert.True(exit == 0, error);
            return output.Trim();
        }

        Assert.Equal("WaitForFirstConsumer", Get("get", "storageclass", "ceph-rbd", "-o", "jsonpath={.volumeBindingMode}"));
        Assert.Equal("ReadWriteMany", Get("get", "storageprofiles.cdi.kubevirt.io", "ceph-rbd", "-o", "jsonpath={.status.claimPropertySets[0].accessModes[0]}"));
        var claim = Get("get", "pvc", "-n", "payments", "-o", "jsonpath={.items[0].spec.volumeName}");
        Assert.Equal("Retain", Get("get", "pv", claim, "-o", "jsonpath={.spec.persistentVolumeReclaimPolicy}"));
        Assert.Contains("kubevirt/migration-net", Get("get", "network-attachment-definitions", "-A", "-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}"));
        Assert.Equal((64L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture), Get("get", "node", "fra-1-w1", "-o", "jsonpath={.status.allocatable.hugepages-1Gi}"));
        Assert.Equal("true", Get("get", "node", "fra-1-w1", "-o", "jsonpath={.metadata.labels.cpumanager}"));
        var vmi = Get("get", "vmi", "-n", "payments", "-o", "jsonpath={.items[0].metadata.name}");
        Assert.Equal("rhel", Get("get", "vmi", vmi, "-n", "payments", "-o", "jsonpath={.status.guestOSInfo.id}"));
    }

    [SkippableFact]
    public async Task The_static_manifests_compile_writes_apply_with_kubectl_and_label_the_running_VMs()
    {
        Kubectl();
        await using var sim = await RunningSimulator.Start("node-drain");
        var output = Path.Combine(sim.Directory, "build");
        Assert.Equal(0, Reconcile.Cli.Program.Run(["compile", "plans/examples/node-drain", "--out", output, "--now", "2026-12-01T00:00:00Z"],
            new Reconcile.Cli.IOContext(new StringWriter(), new StringWriter(), Repository.Root)));
        var applied = Run(sim, "apply", "--server-side", "--field-manager=reconcile", "-k", Path.Combine(output, "ber-1", "static"));
        Assert.True(applied.Exit == 0, applied.Error + applied.Out);
        Assert.Contains("migrationpolicy.migrations.kubevirt.io/ber-1-firmware-wave-drain-w5-w6 serverside-applied", applied.Out);
        Assert.Contains("prometheusrule.monitoring.coreos.com/", applied.Out);

        // The label patches own only their labels: the VM keeps its spec, and the VMI its status.
        var vm = JsonNode.Parse(Run(sim, "get", "vm", "erp-db-0", "-n", "erp", "-o", "json", "--show-managed-fields").Out)!;
        Assert.Equal("drain-w5-w6", vm["metadata"]!["labels"]!["migration.reconcile.dev/move"]!.GetValue<string>());
        Assert.Equal("Always", vm["spec"]!["runStrategy"]!.GetValue<string>());
        var vmi = JsonNode.Parse(Run(sim, "get", "vmi", "erp-db-0", "-n", "erp", "-o", "json").Out)!;
        Assert.Equal("erp", vmi["metadata"]!["labels"]!["migration.reconcile.dev/priority"]!.GetValue<string>());
        Assert.Equal("Running", vmi["status"]!["phase"]!.GetValue<string>());
        var owners = vm["metadata"]!["managedFields"]!.AsArray().Select(m => m!["manager"]!.GetValue<string>()).ToList();
        Assert.Contains("reconcile", owners);

        // Re-applying the same folder is a no-op.
        var again = Run(sim, "apply", "--server-side", "--field-manager=reconcile", "-k", Path.Combine(output, "ber-1", "static"));
        Assert.Equal(vm["metadata"]!["resourceVersion"]!.GetValue<string>(),
            JsonNode.Parse(Run(sim, "get", "vm", "erp-db-0", "-n", "erp", "-o", "json").Out)!["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(0, again.Exit);
    }

    [SkippableFact]
    public void Reconcile_simulator_serve_prints_a_kubeconfig_with_a_context_per_cluster_and_serves_until_stopped()
    {
        var kubectl = Kubectl();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { typeof(Reconcile.Cli.Program).Assembly.Location, "simulator", "serve", "--world", "plans/examples/fra-to-sgp", "--speed", "100", "--start", "2026-12-05T00:00:00Z" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        try
        {
            var kubeconfig = new List<string>();
            for (var line = process.StandardOutput.ReadLine(); line is not null; line = process.StandardOutput.ReadLine())
            {
                kubeconfig.Add(line);
                if (line.StartsWith("current-context:", StringComparison.Ordinal))
                {
                    break;
                }
            }

            using var dir = new TempDirectory();
            File.WriteAllLines(dir.File("config"), kubeconfig);
            var contexts = ExternalTools.Run(kubectl, ["--kubeconfig", dir.File("config"), "config", "get-contexts", "-o", "name"]);
            Assert.Equal(["fra-1", "fra-2", "sgp-1"], contexts.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
            foreach (var cluster in new[] { "fra-1", "fra-2", "sgp-1" })
            {
                var nodes = ExternalTools.Run(kubectl, ["--kubeconfig", dir.File("config"), "--context", cluster, "get", "nodes", "-o", "name"]);
                Assert.True(nodes.Exit == 0, nodes.Error);
                Assert.All(nodes.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), n => Assert.StartsWith($"node/{cluster}-", n));
            }

            Assert.False(process.HasExited);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }
}
