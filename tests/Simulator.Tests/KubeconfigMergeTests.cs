namespace Reconcile.Simulator.Tests;

/// <summary>
/// $KUBECONFIG with several files is merged as kubectl merges it (the first to set a value wins, missing
/// files skipped), for the commands that read runs: the real `reconcile` executable with the variable set.
/// </summary>
public sealed class KubeconfigMergeTests
{
    [Fact]
    public async Task Several_kubeconfig_files_are_merged_the_first_setting_the_current_context_for_every_command()
    {
        await using var sim = await RunningSimulator.Start("node-drain");
        var reconcile = Path.Combine(AppContext.BaseDirectory, "reconcile");
        // The clusters and credentials in one file whose current context names nothing; the context in another.
        var clusters = Path.Combine(sim.Directory, "clusters.kubeconfig");
        File.WriteAllLines(clusters, File.ReadAllLines(sim.Kubeconfig).Select(l => l.StartsWith("current-context:", StringComparison.Ordinal) ? "current-context: nowhere" : l));
        var context = Path.Combine(sim.Directory, "context.kubeconfig");
        File.WriteAllText(context, "apiVersion: v1\nkind: Config\ncurrent-context: ber-1\nclusters: []\ncontexts: []\nusers: []\n");
        var missing = Path.Combine(sim.Directory, "missing.kubeconfig");

        (int Exit, string Out, string Error) Status(params string[] files) => ExternalTools.Run(reconcile, ["status"], 60_000,
            environment: new Dictionary<string, string> { ["KUBECONFIG"] = string.Join(Path.PathSeparator, files) });

        var merged = Status(missing, context, clusters);
        Assert.True(merged.Exit == 0, merged.Error);
        Assert.Contains("on ber-1", merged.Out, StringComparison.Ordinal);

        // Alone, the clusters' file points at a context it does not have; in the other order its value wins.
        Assert.NotEqual(0, Status(clusters).Exit);
        Assert.NotEqual(0, Status(clusters, context).Exit);
        var none = Status(missing);
        Assert.Equal(2, none.Exit);
        Assert.Contains("does not exist", none.Error, StringComparison.Ordinal);

        // discover and run read the same merge: the current context from one file, the cluster from another.
        var environment = new Dictionary<string, string> { ["KUBECONFIG"] = string.Join(Path.PathSeparator, missing, context, clusters) };
        var discovered = Path.Combine(sim.Directory, "discovered");
        var discover = ExternalTools.Run(reconcile, ["discover", "--out-dir", discovered], 120_000, environment: environment);
        Assert.True(discover.Exit == 0, discover.Out + discover.Error);
        Assert.Contains("name: ber-1", File.ReadAllText(Path.Combine(discovered, "topology.yaml")), StringComparison.Ordinal);

        using var server = new GitServer();
        server.CopyExample("node-drain");
        server.Commit("wave");
        var run = ExternalTools.Run(reconcile, ["run", "--repo", server.Url, "--path", "plans/node-drain", "--once", "--cache", Path.Combine(server.Scratch, "cache")], 120_000, environment: environment);
        Assert.True(run.Exit == 0, run.Out + run.Error);
        Assert.Contains("ber-1-firmware-wave", Status(missing, context, clusters).Out, StringComparison.Ordinal);
    }
}
