using System.Text.Json.Nodes;
using Reconcile.Cli;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Simulator.Tests;

/// <summary>`reconcile run --once` on plans/node-drain of a <see cref="GitServer"/> against the simulator (a fresh process state each time, as after a restart), and the MigrationRun it leaves.</summary>
internal static class NodeDrainFromGit
{
    public static (int Exit, string Log) RunOnce(RunningSimulator sim, GitServer server, params string[] extra)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = Program.Run(["run", "--repo", server.Url, "--path", "plans/node-drain", "--once", "--kubeconfig", sim.Kubeconfig, "--cache", Path.Combine(server.Scratch, "cache"), .. extra],
            new IOContext(output, error, Repository.Root), () => sim.Host.World.Clock.Now);
        return (exit, output + error.ToString());
    }

    /// <summary>A GitOps loop on the node-drain plans of <paramref name="server"/>, on the simulator's clock, logging into <paramref name="log"/>.</summary>
    public static Reconciler.GitOpsLoop Loop(GitServer server, RunningSimulator sim, StringWriter log) =>
        new(new Reconciler.Git.GitSource(new Reconciler.Git.GitSourceOptions(server.Url, Path.Combine(server.Scratch, "cache"))), "plans/node-drain",
            topology => topology.Clusters.ToDictionary(c => c.Name, c => (IClusterGateway)KubernetesGateway.FromKubeconfig(c.Name, sim.Kubeconfig, c.Name), StringComparer.Ordinal),
            () => sim.Host.World.Clock.Now, new Reconciler.JsonLog(log, () => sim.Host.World.Clock.Now));

    /// <summary>The MigrationRun in ber-1, if there is one.</summary>
    public static async Task<JsonObject?> Run(RunningSimulator sim) =>
        (await KubernetesGateway.FromKubeconfig("ber-1", sim.Kubeconfig, "ber-1").ListAsync(CampaignExecutor.RunApiVersion, CampaignExecutor.RunKind, CampaignExecutor.RunNamespace, null, CancellationToken.None)).SingleOrDefault();
}
