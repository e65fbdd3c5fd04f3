namespace Reconcile.Simulator.Tests;

/// <summary>
/// The CLI installed as `kubectl-reconcile` (a link to the `reconcile` command, README "Install") is a kubectl
/// plugin: the real kubectl v1.35 finds it on PATH and runs `kubectl reconcile ...` with the user's
/// environment (KUBECONFIG), as for any plugin.
/// </summary>
public sealed class KubectlPluginTests
{
    [SkippableFact]
    public async Task Linked_as_kubectl_reconcile_it_is_discovered_by_kubectl_and_shows_a_run()
    {
        var kubectl = ExternalTools.Require(ExternalTools.Kubectl(), "kubectl not installed: run .ci/install-tools (CI does)");
        await using var sim = await RunningSimulator.Start("node-drain");
        var bin = Path.Combine(sim.Directory, "bin");
        Directory.CreateDirectory(bin);
        var plugin = Path.Combine(bin, "kubectl-reconcile");
        File.CreateSymbolicLink(plugin, Path.Combine(AppContext.BaseDirectory, "reconcile"));
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            ["KUBECONFIG"] = sim.Kubeconfig,
        };

        var plugins = ExternalTools.Run(kubectl, ["plugin", "list"], 60_000, environment: environment);
        Assert.True(plugins.Exit == 0, plugins.Error);
        Assert.Contains(plugin, plugins.Out.Split('\n'));
        var version = ExternalTools.Run(kubectl, ["reconcile", "--version"], 60_000, environment: environment);
        Assert.True(version.Exit == 0, version.Error);
        Assert.StartsWith("0.1.0", version.Out, StringComparison.Ordinal);

        // A compiled plan's run applied by kubectl, then read back through the plugin.
        var output = Path.Combine(sim.Directory, "build");
        Assert.Equal(0, Reconcile.Cli.Program.Run(["compile", "plans/examples/node-drain", "--out", output, "--now", "2026-12-01T00:00:00Z"],
            new Reconcile.Cli.IOContext(new StringWriter(), new StringWriter(), Repository.Root)));
        ExternalTools.Run(kubectl, ["create", "namespace", "reconcile-system", "--context", "ber-1"], 60_000, environment: environment);
        var applied = ExternalTools.Run(kubectl, ["apply", "--server-side", "--field-manager=reconcile", "--context", "ber-1", "-f", Path.Combine(output, "run", "migrationrun-crd.yaml")], 60_000, environment: environment);
        Assert.True(applied.Exit == 0, applied.Error + applied.Out);
        applied = ExternalTools.Run(kubectl, ["apply", "--server-side", "--field-manager=reconcile", "--context", "ber-1", "-f", Path.Combine(output, "run", "migrationrun.yaml")], 60_000, environment: environment);
        Assert.True(applied.Exit == 0, applied.Error + applied.Out);

        var status = ExternalTools.Run(kubectl, ["reconcile", "status", "--context", "ber-1"], 60_000, environment: environment);
        Assert.True(status.Exit == 0, status.Error + status.Out);
        Assert.Contains("firmware-wave", status.Out, StringComparison.Ordinal);
    }
}
