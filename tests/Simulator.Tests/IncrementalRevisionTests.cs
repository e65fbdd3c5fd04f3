using System.Text.Json.Nodes;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// A revision that edits one plan of several plans and compiles only that one (the reconciler hands the last
/// compilation to the compiler, tests/Compiler.Tests/IncrementalCompilationTests.cs): the other plan's run
/// keeps its planned steps, and both runs take the new revision.
/// </summary>
public sealed class IncrementalRevisionTests
{
    [Fact]
    public async Task A_revision_that_edits_one_plan_does_not_plan_the_other_again()
    {
        using var server = new GitServer();
        server.CopyExample("node-drain");
        var folder = Path.Combine(server.Work, "plans", "node-drain");
        var plan = File.ReadAllText(Path.Combine(folder, "plan.yaml"));
        Assert.Contains("select: {nodes: [ber-1-w5, ber-1-w6]}", plan);
        File.WriteAllText(Path.Combine(folder, "plan.yaml"), plan.Replace("[ber-1-w5, ber-1-w6]", "[ber-1-w5]", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(folder, "plan-w6.yaml"), plan.Replace("[ber-1-w5, ber-1-w6]", "[ber-1-w6]", StringComparison.Ordinal)
            .Replace("name: ber-1-firmware-wave", "name: ber-1-w6-wave", StringComparison.Ordinal));
        var first = server.Commit("two waves");

        await using var sim = await RunningSimulator.Start("node-drain");
        var log = new StringWriter();
        var loop = NodeDrainFromGit.Loop(server, sim, log);
        var pass = await loop.PassAsync(true, CancellationToken.None);
        Assert.Equal(first, pass.Revision);
        Assert.True(pass.Healthy, log.ToString());
        var before = await Runs(sim);

        // An hour later the second wave gets another retry: only it is planned again (from the new clock).
        sim.Host.World.Clock.Advance(TimeSpan.FromHours(1));
        var w6 = Path.Combine(folder, "plan-w6.yaml");
        File.WriteAllText(w6, File.ReadAllText(w6).Replace("retries: 1", "retries: 2", StringComparison.Ordinal));
        var edited = server.Commit("w6: two retries");
        pass = await loop.PassAsync(true, CancellationToken.None);
        Assert.Equal(edited, pass.Revision);
        Assert.True(pass.Healthy, log.ToString());
        Assert.Contains($"revision {edited[..12]}: ber-1-firmware-wave read nothing that changed since {first[..12]}: not planned again", log.ToString());

        var after = await Runs(sim);
        Assert.Equal(edited, after["ber-1-firmware-wave"]["status"]!["lastAppliedRevision"]!.GetValue<string>());
        Assert.Equal(edited, after["ber-1-w6-wave"]["status"]!["lastAppliedRevision"]!.GetValue<string>());
        Assert.Equal(WithoutDigest(before["ber-1-firmware-wave"]), WithoutDigest(after["ber-1-firmware-wave"]));
        Assert.NotEqual(before["ber-1-firmware-wave"]["spec"]!["graphDigest"]!.ToJsonString(), after["ber-1-firmware-wave"]["spec"]!["graphDigest"]!.ToJsonString());
        Assert.DoesNotContain("ber-1-w6-wave read nothing", log.ToString());
    }

    private static async Task<Dictionary<string, JsonObject>> Runs(RunningSimulator sim) =>
        (await KubernetesGateway.FromKubeconfig("ber-1", sim.Kubeconfig, "ber-1").ListAsync(CampaignExecutor.RunApiVersion, CampaignExecutor.RunKind, CampaignExecutor.RunNamespace, null, CancellationToken.None))
        .ToDictionary(r => r["spec"]!["plan"]!.GetValue<string>(), r => r, StringComparer.Ordinal);

    /// <summary>The run's spec as compiled (planned stages and times) without the revision's digest.</summary>
    private static string WithoutDigest(JsonObject run)
    {
        var spec = run["spec"]!.DeepClone().AsObject();
        spec.Remove("graphDigest");
        return spec.ToJsonString();
    }
}
