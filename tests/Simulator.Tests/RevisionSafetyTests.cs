using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Reconcile.Cli;
using Reconcile.Reconciler;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;
using Reconcile.Simulator.Api;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// What a new revision, a faulty cluster or an operator may do to a campaign under way, against a real
/// git daemon and the simulator: API error bursts while applying, a revision the compiler fails on, a
/// plan removed or emptied while it runs, Flux's revision fields, and an operator's suspend.
/// </summary>
public sealed class RevisionSafetyTests
{
    private const string PlanName = "ber-1-firmware-wave";

    private static string PlanFile(GitServer server) => Path.Combine(server.Work, "plans", "node-drain", "plan.yaml");

    private static void Edit(GitServer server, string file, string from, string to)
    {
        var path = Path.Combine(server.Work, "plans", "node-drain", file);
        var text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }

    private static (int Exit, string Log) RunOnce(RunningSimulator sim, GitServer server, params string[] extra) => NodeDrainFromGit.RunOnce(sim, server, extra);

    private static async Task<JsonObject> Run(RunningSimulator sim) => (await NodeDrainFromGit.Run(sim))!;

    /// <summary>The node-drain wave committed and started: its revision, and the steps now running.</summary>
    private static async Task<(string Good, List<string> Running)> UnderWayAsync(GitServer server, RunningSimulator sim)
    {
        server.CopyExample("node-drain");
        var good = server.Commit("wave");
        Assert.Equal(0, RunOnce(sim, server).Exit);
        var running = Phases(await Run(sim), "Running");
        Assert.NotEmpty(running);
        return (good, running);
    }

    private static string? Status(JsonObject run, string field) => run["status"]?[field]?.GetValue<string>();

    private static JsonNode? Condition(JsonObject run, string type) =>
        run["status"]?["conditions"]?.AsArray().Single(c => c!["type"]!.GetValue<string>() == type);

    private static List<string> Phases(JsonObject run, string phase) =>
        [.. run["status"]!["steps"]!.AsArray().Where(s => s!["phase"]!.GetValue<string>() == phase).Select(s => s!["id"]!.GetValue<string>())];

    /// <summary>Steps not yet started, from the run's sums per stage (the status lists only steps with something to say).</summary>
    private static int PendingSteps(JsonObject run) => RunStepRecords.ReadStages(run["status"]).Sum(s => s.Pending);

    private static GitOpsLoop Loop(GitServer server, RunningSimulator sim, StringWriter log) => NodeDrainFromGit.Loop(server, sim, log);

    private static int MigrationPolicies(RunningSimulator sim) => sim.Host.World.Clusters["ber-1"].Store.List(ResourceRegistry.MigrationPolicy, null).Items.Count;

    [Fact]
    public async Task A_revision_that_changes_nothing_under_the_path_is_applied_without_planning_again()
    {
        using var server = new GitServer();
        server.CopyExample("node-drain");
        var first = server.Commit("wave");
        await using var sim = await RunningSimulator.Start("node-drain");
        var log = new StringWriter();
        var loop = Loop(server, sim, log);
        Assert.Equal(first, (await loop.PassAsync(true, CancellationToken.None)).Revision);
        var planned = (await Run(sim))["spec"]!.ToJsonString();

        // A commit elsewhere in the repository, an hour later: applied as the revision in force, the plan not compiled
        // again (a new compile would plan from the new clock and move every planned time).
        sim.Host.World.Clock.Advance(TimeSpan.FromHours(1));
        File.WriteAllText(Path.Combine(server.Work, "README.md"), "The migration plans of the platform team.\n");
        var docs = server.Commit("docs only");
        var pass = await loop.PassAsync(true, CancellationToken.None);
        Assert.Equal(docs, pass.Revision);
        Assert.True(pass.Healthy, log.ToString());
        Assert.Contains($"revision {docs[..12]} has the plans of {first[..12]} (nothing under plans/node-drain changed): not compiled again", log.ToString());
        var run = await Run(sim);
        Assert.Equal(docs, Status(run, "lastAppliedRevision"));
        Assert.Equal(planned, run["spec"]!.ToJsonString());

        // A change under the path is compiled.
        Edit(server, "plan.yaml", "retries: 1", "retries: 2");
        var edited = server.Commit("two retries");
        pass = await loop.PassAsync(true, CancellationToken.None);
        Assert.Equal(edited, pass.Revision);
        Assert.DoesNotContain($"revision {edited[..12]} has the plans", log.ToString());
        Assert.Contains($"applied revision {edited[..12]}", log.ToString());
    }

    [Fact]
    public async Task A_burst_of_API_errors_while_a_revision_is_applied_is_retried_and_no_plan_is_dropped()
    {
        using var server = new GitServer();
        server.CopyExample("node-drain");
        var first = server.Commit("wave");
        await using var sim = await RunningSimulator.Start("node-drain");
        var log = new StringWriter();
        var loop = Loop(server, sim, log);
        var pass = await loop.PassAsync(true, CancellationToken.None);
        Assert.Equal(first, pass.Revision);
        Assert.True(pass.Healthy);

        Edit(server, "plan.yaml", "retries: 1", "retries: 2");
        var second = server.Commit("two retries");
        Assert.Null(sim.Host.Faults.Add(new JsonObject { ["type"] = "api-error", ["cluster"] = "ber-1", ["count"] = 2, ["code"] = 503 }, sim.Host.World.Clock.Now));
        pass = await loop.PassAsync(true, CancellationToken.None);

        // The revision is not applied, the one in force keeps its plan, and the log and the run say why.
        Assert.Equal(first, pass.Revision);
        Assert.False(pass.Healthy);
        Assert.Contains($"applying revision {second[..12]} failed", log.ToString());
        Assert.Equal([PlanName], pass.Plans.Keys.Concat(pass.HeldBack));
        var run = await Run(sim);
        Assert.Equal(first, Status(run, "lastAppliedRevision"));
        Assert.Equal("ClusterUnreachable", Condition(run, "Ready")!["reason"]!.GetValue<string>());

        // The burst is over: the next pass applies it, and only now is it recorded as applied.
        pass = await loop.PassAsync(true, CancellationToken.None);
        Assert.Equal(second, pass.Revision);
        Assert.True(pass.Healthy, log.ToString());
        Assert.Equal([PlanName], pass.Plans.Keys);
        run = await Run(sim);
        Assert.Equal(second, Status(run, "lastAppliedRevision"));
        Assert.Equal(second, Status(run, "lastAttemptedRevision"));
        Assert.Contains($"applied revision {second[..12]}", log.ToString());
    }

    [Fact]
    public async Task A_revision_the_compiler_fails_on_is_refused_and_a_fresh_process_acts_on_the_last_applied_one()
    {
        using var server = new GitServer();
        await using var sim = await RunningSimulator.Start("node-drain");
        var (good, running) = await UnderWayAsync(server, sim);

        // Schema-valid, but the planner cannot divide by a bandwidth of nothing.
        Edit(server, "topology.yaml", "bandwidth: 25Gbps", "bandwidth: 0bps");
        Edit(server, "plan.yaml", "bandwidthPerMigration: 8Gbps", "bandwidthPerMigration: 0bps");
        var bad = server.Commit("no bandwidth");
        var (exit, log) = RunOnce(sim, server);
        Assert.True(exit == 1, log);
        Assert.Contains($"revision {bad[..12]} refused", log);
        Assert.DoesNotContain("RC1099", log);
        // The fresh process read the last applied revision from the cluster and carried its campaign on.
        Assert.Contains($"applied revision {good[..12]}", log);
        Assert.Contains($"plan {PlanName}: ", log);
        var run = await Run(sim);
        Assert.Equal(good, Status(run, "lastAppliedRevision"));
        Assert.Equal(bad, Status(run, "lastAttemptedRevision"));
        Assert.Equal("RevisionRefused", Condition(run, "Ready")!["reason"]!.GetValue<string>());
        Assert.Equal("True", Condition(run, "Stalled")!["status"]!.GetValue<string>());
        Assert.Contains(bad[..12], Condition(run, "Stalled")!["message"]!.GetValue<string>());
        Assert.Equal(running, Phases(run, "Running").Intersect(running));
        Assert.True(run["status"]!["observedGeneration"]!.GetValue<long>() >= 1);

        // The refusal is a Warning Event on the run, once for the refused revision (not again on the next pass).
        RunOnce(sim, server);
        var refusals = sim.Host.World.Clusters["ber-1"].Store.List(Reconcile.Simulator.Api.ResourceRegistry.Event, "reconcile-system").Items
            .Where(e => e["reason"]?.GetValue<string>() == "RevisionRefused").ToList();
        var refusal = Assert.Single(refusals);
        Assert.Equal("Warning", refusal["type"]!.GetValue<string>());
        Assert.Contains($"revision {bad} refused", refusal["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revision_that_drops_a_running_plan_or_step_is_refused_and_nothing_is_pruned()
    {
        using var server = new GitServer();
        await using var sim = await RunningSimulator.Start("node-drain");
        var (good, running) = await UnderWayAsync(server, sim);
        var policies = MigrationPolicies(sim);
        Assert.True(policies > 0);

        File.Delete(PlanFile(server));
        var gone = server.Commit("plan removed mid-run");
        var (exit, log) = RunOnce(sim, server);
        Assert.True(exit == 1, log);
        Assert.Contains($"revision {gone[..12]} refused: plan {PlanName} is gone from it", log);
        Assert.Equal(policies, MigrationPolicies(sim));
        var run = await Run(sim);
        Assert.Equal(good, Status(run, "lastAppliedRevision"));
        Assert.Equal(running, Phases(run, "Running").Intersect(running));

        // Back, but moving only the ERP VMs: the canary (monitoring/grafana-0) under way would be dropped.
        File.WriteAllText(PlanFile(server), File.ReadAllText(Repository.PathOf("plans", "examples", "node-drain", "plan.yaml"))
            .Replace("select: {nodes: [ber-1-w5, ber-1-w6]}", "select: {nodes: [ber-1-w5, ber-1-w6], namespaces: [erp]}", StringComparison.Ordinal));
        var narrowed = server.Commit("erp only");
        (exit, log) = RunOnce(sim, server);
        Assert.True(exit == 1, log);
        Assert.Contains($"revision {narrowed[..12]} refused: plan {PlanName} no longer has step", log);
        Assert.Equal(running, Phases(await Run(sim), "Running").Intersect(running));
    }

    [Fact]
    public async Task An_emptied_plan_needs_allowEmpty_and_a_removed_plan_must_be_suspended_first_then_it_is_pruned()
    {
        using var server = new GitServer();
        server.CopyExample("node-drain");
        Edit(server, "plan.yaml", "  horizon: 336h", "  horizon: 336h\n  suspend: true");
        server.Commit("wave, suspended");
        await using var sim = await RunningSimulator.Start("node-drain");
        Assert.Equal(0, RunOnce(sim, server).Exit);
        var run = await Run(sim);
        Assert.Empty(Phases(run, "Running"));
        Assert.True(PendingSteps(run) > 0);

        Edit(server, "plan.yaml", "select: {nodes: [ber-1-w5, ber-1-w6]}", "select: {nodes: [ber-1-w5, ber-1-w6], namespaces: [nowhere]}");
        var empty = server.Commit("selects nothing");
        var (exit, log) = RunOnce(sim, server);
        Assert.True(exit == 1, log);
        Assert.Contains($"revision {empty[..12]} refused: plan {PlanName} selects no VM in it", log);
        Assert.True(PendingSteps(await Run(sim)) > 0);

        Edit(server, "plan.yaml", "  suspend: true", "  suspend: true\n  allowEmpty: true");
        var meant = server.Commit("selects nothing, and says so");
        (exit, log) = RunOnce(sim, server);
        Assert.True(exit == 0, log);
        Assert.Equal(meant, Status(await Run(sim), "lastAppliedRevision"));

        // Suspended with nothing running, the plan may go: its objects and its run are pruned.
        File.Delete(PlanFile(server));
        server.Commit("plan removed");
        (exit, log) = RunOnce(sim, server);
        Assert.True(log.Contains($"plan {PlanName} is no longer in the revision", StringComparison.Ordinal), log);
        Assert.Equal(0, MigrationPolicies(sim));
        Assert.Empty(await KubernetesGateway.FromKubeconfig("ber-1", sim.Kubeconfig, "ber-1").ListAsync(CampaignExecutor.RunApiVersion, CampaignExecutor.RunKind, CampaignExecutor.RunNamespace, null, CancellationToken.None));
    }

    [Fact]
    public async Task An_operators_suspend_sticks_across_applies_and_notBefore_holds_at_run_time()
    {
        using var server = new GitServer();
        server.CopyExample("node-drain");
        Edit(server, "plan.yaml", "notBefore: 2027-02-01T00:00:00Z", "notBefore: 2027-02-03T00:00:00Z");
        server.Commit("wave, from the 3rd");
        await using var sim = await RunningSimulator.Start("node-drain");
        Assert.Equal(0, RunOnce(sim, server).Exit);
        Assert.Empty(Phases(await Run(sim), "Running"));

        // The operator pauses the run by hand; neither a re-apply nor a new revision takes it back.
        using var client = sim.Client("ber-1");
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"spec\":{\"suspend\":true}}", V1Patch.PatchType.MergePatch),
            "migration.reconcile.dev", "v1alpha1", CampaignExecutor.RunNamespace, "migrationruns", PlanName, fieldManager: "kubectl-patch");
        sim.Host.World.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(0, RunOnce(sim, server).Exit);
        Edit(server, "plan.yaml", "retries: 1", "retries: 2");
        server.Commit("two retries");
        Assert.Equal(0, RunOnce(sim, server).Exit);
        var run = await Run(sim);
        Assert.True(run["spec"]!["suspend"]!.GetValue<bool>());
        Assert.Equal("True", Condition(run, "Suspended")!["status"]!.GetValue<string>());
        Assert.Empty(Phases(run, "Running"));

        // Resumed by hand, it starts: notBefore has passed.
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"spec\":{\"suspend\":false}}", V1Patch.PatchType.MergePatch),
            "migration.reconcile.dev", "v1alpha1", CampaignExecutor.RunNamespace, "migrationruns", PlanName, fieldManager: "kubectl-patch");
        Assert.Equal(0, RunOnce(sim, server).Exit);
        Assert.NotEmpty(Phases(await Run(sim), "Running"));
    }

    [Fact]
    public async Task With_verify_a_force_push_back_to_an_older_signed_commit_is_refused_unless_rewinding_is_allowed()
    {
        using var server = new GitServer();
        var key = server.SigningKey("planner");
        var signers = Path.Combine(server.Scratch, "allowed_signers");
        File.WriteAllText(signers, $"planner@example.net namespaces=\"git\" {File.ReadAllText(key + ".pub").Trim()}\n");
        string[] verify = ["--verify", "--allowed-signers", signers];
        server.CopyExample("node-drain");
        var older = server.Commit("wave", "-S", $"--gpg-sign={key}.pub");
        await using var sim = await RunningSimulator.Start("node-drain");
        Assert.Equal(0, RunOnce(sim, server, verify).Exit);

        Edit(server, "plan.yaml", "  horizon: 336h", "  horizon: 336h\n  suspend: true");
        var suspended = server.Commit("suspend the wave", "-S", $"--gpg-sign={key}.pub");
        Assert.Equal(0, RunOnce(sim, server, verify).Exit);
        Assert.Equal(suspended, Status(await Run(sim), "lastAppliedRevision"));

        // Someone force-pushes the branch back to the older, validly signed commit.
        server.Git(server.Work, "reset", "-q", "--hard", older);
        server.Git(server.Work, "push", "-q", "-f", "origin", "HEAD:main");
        var (exit, log) = RunOnce(sim, server, verify);
        Assert.True(exit == 1, log);
        Assert.Contains($"revision {older[..12]} refused: it does not descend from {suspended[..12]}", log);
        var run = await Run(sim);
        Assert.Equal(suspended, Status(run, "lastAppliedRevision"));
        Assert.True(run["spec"]!["suspend"]!.GetValue<bool>());

        // Meant: the operator says so.
        (exit, log) = RunOnce(sim, server, [.. verify, "--allow-rewind"]);
        Assert.True(exit == 0, log);
        Assert.Equal(older, Status(await Run(sim), "lastAppliedRevision"));
    }
}
