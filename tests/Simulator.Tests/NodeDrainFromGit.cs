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

    /// <summary>The MigrationRun in ber-1, if there is one.</summary>
    public static async Task<JsonObject?> Run(RunningSimulator sim) =>
        (await KubernetesGateway.FromKubeconfig("ber-1", sim.Kubeconfig, "ber-1").ListAsync(CampaignExecutor.RunApiVersion, CampaignExecutor.RunKind, CampaignExecutor.RunNamespace, null, CancellationToken.None)).SingleOrDefault();
}
