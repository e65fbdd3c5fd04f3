using System.Text.Json.Nodes;
using Reconcile.Cli;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// `reconcile run --once`, over and over (every run a fresh process state, as after a restart),
/// against a real git daemon and the simulator; the reconciler's clock is the simulator's.
/// </summary>
public sealed class GitOpsEndToEndTests
{
    private static (int Exit, string Log) RunOnce(RunningSimulator sim, GitServer server, params string[] extra) => NodeDrainFromGit.RunOnce(sim, server, extra);

    private static Task<JsonObject?> Run(RunningSimulator sim) => NodeDrainFromGit.Run(sim);

    private static int Migrations(RunningSimulator sim) => sim.Host.Engine.Samples().Where(s => s.Metric == "kubevirt_vmi_migration_succeeded").Sum(s => (int)s.Value);

    [Fact]
    public async Task Runs_the_campaign_from_git_to_the_end_and_a_plan_edited_mid_run_never_reruns_finished_steps()
    {
        using var server = new GitServer();
        server.CopyExample("node-drain");
        var first = server.Commit("node-drain wave");
        await using var sim = await RunningSimulator.Start("node-drain");

        var (exit, log) = RunOnce(sim, server);
        Assert.True(exit == 0, log);
        Assert.Contains($"applied revision {first[..12]}", log);
        // `run` collects without a background GC thread (ReconcilerProcess; the test host starts in the default mode).
        Assert.Equal(System.Runtime.GCLatencyMode.Batch, System.Runtime.GCSettings.LatencyMode);
        var run = await Run(sim);
        Assert.Equal(first, run!["status"]!["observedRevision"]!.GetValue<string>());

        // Drift: a MigrationPolicy deleted and one edited by hand are put back on the next fetch.
        var policies = sim.Host.World.Clusters["ber-1"].Store;
        var policy = policies.List(Reconcile.Simulator.Api.ResourceRegistry.MigrationPolicy, null).Items.Single();
        var policyName = policy["metadata"]!["name"]!.GetValue<string>();
        var bandwidth = policy["spec"]!["bandwidthPerMigration"]!.GetValue<string>();
        policies.Delete(Reconcile.Simulator.Api.ResourceRegistry.MigrationPolicy, "", policyName);
        Assert.Equal(0, RunOnce(sim, server).Exit);
        policy = policies.Get(Reconcile.Simulator.Api.ResourceRegistry.MigrationPolicy, "", policyName)!;
        Assert.Equal(bandwidth, policy["spec"]!["bandwidthPerMigration"]!.GetValue<string>());
        policy["spec"]!["bandwidthPerMigration"] = "1Mi";
        policies.Update(Reconcile.Simulator.Api.ResourceRegistry.MigrationPolicy, "", policyName, policy, "kubectl-edit");
        Assert.Equal(0, RunOnce(sim, server).Exit);
        Assert.Equal(bandwidth, policies.Get(Reconcile.Simulator.Api.ResourceRegistry.MigrationPolicy, "", policyName)!["spec"]!["bandwidthPerMigration"]!.GetValue<string>());

        // Part way through, the plan changes: fewer migrations at once, so the rest is re-planned.
        for (var i = 0; i < 12; i++)
        {
            sim.Host.World.Clock.Advance(TimeSpan.FromSeconds(10));
            sim.Host.Engine.Tick();
            Assert.Equal(0, RunOnce(sim, server).Exit);
        }

        var doneBefore = (await Run(sim))!["status"]!["steps"]!.AsArray().Where(s => s!["phase"]!.GetValue<string>() == "Succeeded").Select(s => s!["id"]!.GetValue<string>()).Where(id => !id.StartsWith("gate", StringComparison.Ordinal)).ToList();
        Assert.Contains("migrate-monitoring.grafana-0", doneBefore);
        var plan = Path.Combine(server.Work, "plans", "node-drain", "plan.yaml");
        File.WriteAllText(plan, File.ReadAllText(plan).Replace("parallelism: {perCluster: 4", "parallelism: {perCluster: 3", StringComparison.Ordinal));
        var edited = server.Commit("the same wave, re-timed");
        for (var i = 0; i < 200; i++)
        {
            sim.Host.World.Clock.Advance(TimeSpan.FromSeconds(10));
            sim.Host.Engine.Tick();
            var (e, l) = RunOnce(sim, server);
            Assert.True(e == 0, l);
            if ((await Run(sim))!["status"]!["conditions"]!.AsArray().Any(c => c!["type"]!.GetValue<string>() == "Ready" && c["status"]!.GetValue<string>() == "True"))
            {
                break;
            }
        }

        run = await Run(sim);
        Assert.Equal(edited, run!["status"]!["observedRevision"]!.GetValue<string>());
        Assert.Contains(run["status"]!["conditions"]!.AsArray(), c => c!["type"]!.GetValue<string>() == "Ready" && c["status"]!.GetValue<string>() == "True");
        // Ten VMs, ten migrations: nothing ran twice across 200 restarts and a new revision.
        Assert.Equal(10, Migrations(sim));
        foreach (var id in doneBefore)
        {
            Assert.Equal(1, run["status"]!["steps"]!.AsArray().Single(s => s!["id"]!.GetValue<string>() == id)!["attempts"]!.GetValue<long>());
        }

        // `reconcile status` reads it back: the run, and a full bar per stage.
        var output = new StringWriter();
        Assert.Equal(0, Program.Run(["status", "--kubeconfig", sim.Kubeconfig, "--context", "ber-1"], new IOContext(output, new StringWriter(), Repository.Root)));
        var text = output.ToString();
        Assert.Contains("ber-1-firmware-wave", text);
        Assert.Contains("True", text);
        Assert.Matches(@"stage-1\s+\[#{20}\] 2/2 steps", text);
        Assert.Matches(@"stage-2\s+\[#{20}\] \d+/\d+ steps", text);
    }

    [Fact]
    public async Task Templates_that_travel_with_the_plans_are_what_run_applies_and_what_compile_and_simulate_render()
    {
        using var server = new GitServer();
        server.CopyExample("node-drain");
        var folder = Path.Combine(server.Work, "plans", "node-drain", "templates");
        Directory.CreateDirectory(folder);
        var policy = File.ReadAllText(Path.Combine(Repository.Root, "templates", "migrationpolicy.yaml.sbn"))
            .Replace("metadata:\n", "metadata:\n  annotations:\n    example.org/reviewed-by: \"platform-team\"\n", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "migrationpolicy.yaml.sbn"), policy);
        server.Commit("our own policy template");
        await using var sim = await RunningSimulator.Start("node-drain");

        var (exit, log) = RunOnce(sim, server);
        Assert.True(exit == 0, log);
        var applied = sim.Host.World.Clusters["ber-1"].Store.List(Reconcile.Simulator.Api.ResourceRegistry.MigrationPolicy, null).Items.Single();
        Assert.Equal("platform-team", applied["metadata"]!["annotations"]!["example.org/reviewed-by"]!.GetValue<string>());

        // compile of the same folder picks the templates up without --templates.
        var output = Path.Combine(server.Scratch, "out");
        Assert.Equal(0, Program.Run(["compile", Path.Combine(server.Work, "plans", "node-drain"), "--out", output, "--now", "2027-02-01T00:00:00Z"], new IOContext(new StringWriter(), new StringWriter(), Repository.Root)));
        Assert.Contains("example.org/reviewed-by", File.ReadAllText(Directory.GetFiles(Path.Combine(output, "ber-1", "static"), "migrationpolicy-*.yaml").Single()));
    }

    [Fact]
    public async Task A_revision_with_errors_or_without_a_trusted_signature_is_never_applied()
    {
        using var server = new GitServer();
        server.CopyExample("node-drain");
        var good = server.Commit("good");
        await using var sim = await RunningSimulator.Start("node-drain");
        Assert.Equal(0, RunOnce(sim, server).Exit);

        var plan = Path.Combine(server.Work, "plans", "node-drain", "plan.yaml");
        File.WriteAllText(plan, File.ReadAllText(plan).Replace("maxDowntime: 300ms", "maxDowntime: soon"));
        var broken = server.Commit("broken");
        var (exit, log) = RunOnce(sim, server);
        Assert.Equal(1, exit);
        Assert.Contains($"revision {broken[..12]} refused: 1 errors", log);
        Assert.Contains("\"code\":\"RC10", log);
        Assert.NotEqual(broken, (await Run(sim))!["status"]?["observedRevision"]?.GetValue<string>());

        // With --verify, an unsigned tip is refused and nothing of it is applied.
        File.WriteAllText(plan, File.ReadAllText(Repository.PathOf("plans", "examples", "node-drain", "plan.yaml")));
        var unsigned = server.Commit("fixed but unsigned");
        var signers = Path.Combine(server.Scratch, "allowed_signers");
        File.WriteAllText(signers, "");
        var (verifyExit, verifyLog) = RunOnce(sim, server, "--verify", "--allowed-signers", signers);
        Assert.Equal(1, verifyExit);
        Assert.Contains($"refused {unsigned[..12]}", verifyLog);
        Assert.DoesNotContain("applied revision", verifyLog);
        Assert.Equal(good, (await Run(sim))!["status"]?["observedRevision"]?.GetValue<string>());
    }
}

/// <summary>`reconcile run` as a long-running process: metrics, health, readiness, Events, leader election.</summary>
public sealed class RunServiceTests
{
    [Fact]
    public async Task A_running_reconciler_serves_health_readiness_and_metrics_and_records_events()
    {
        using var server = new GitServer();
        server.CopyExample("node-drain");
        var revision = server.Commit("wave");
        await using var sim = await RunningSimulator.Start("node-drain", speed: 30);
        var port = Loopback.FreePort();
        using var stop = new CancellationTokenSource();
        var output = new StringWriter();
        var running = Task.Run(() => Program.Run(["run", "--repo", server.Url, "--path", "plans/node-drain", "--kubeconfig", sim.Kubeconfig, "--cache", Path.Combine(server.Scratch, "cache"),
            "--pass-interval", "200ms", "--interval", "5s", "--leader-elect", "--metrics-address", $"127.0.0.1:{port}"], new IOContext(TextWriter.Synchronized(output), new StringWriter(), Repository.Root),
            () => sim.Host.World.Clock.Now, stop.Token));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        string metrics = "";
        for (var i = 0; i < 150 && !metrics.Contains("reconcile_steps{plan=\"ber-1-firmware-wave\",phase=\"Succeeded\"} ", StringComparison.Ordinal); i++)
        {
            await Task.Delay(200);
            try
            {
                metrics = await http.GetStringAsync("metrics");
            }
            catch (HttpRequestException)
            {
            }
        }

        Assert.Equal("ok", await http.GetStringAsync("healthz"));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);
        Assert.Contains($"reconcile_revision_info{{revision=\"{revision}\"}} 1", metrics);
        Assert.Contains("reconcile_leader 1", metrics);
        Assert.Contains("reconcile_bytes_moved{plan=\"ber-1-firmware-wave\"}", metrics);
        Assert.Contains("reconcile_condition{plan=\"ber-1-firmware-wave\",type=\"Stalled\"} 0", metrics);
        // The plan's own alerts on those metrics, applied beside the MigrationRun.
        Assert.NotEmpty(sim.Host.World.Clusters["ber-1"].Store.List(Reconcile.Simulator.Api.ResourceRegistry.PrometheusRule, "reconcile-system").Items);
        // Drift while it runs: a deleted MigrationPolicy is back after the next fetch interval (5 s here).
        var store = sim.Host.World.Clusters["ber-1"].Store;
        var policyName = store.List(Reconcile.Simulator.Api.ResourceRegistry.MigrationPolicy, null).Items.Single()["metadata"]!["name"]!.GetValue<string>();
        store.Delete(Reconcile.Simulator.Api.ResourceRegistry.MigrationPolicy, "", policyName);
        for (var i = 0; i < 100 && store.Get(Reconcile.Simulator.Api.ResourceRegistry.MigrationPolicy, "", policyName) is null; i++)
        {
            await Task.Delay(100);
        }

        Assert.NotNull(store.Get(Reconcile.Simulator.Api.ResourceRegistry.MigrationPolicy, "", policyName));
        await stop.CancelAsync();
        Assert.Equal(0, await running);

        var events = sim.Host.World.Clusters["ber-1"].Store.List(Reconcile.Simulator.Api.ResourceRegistry.Event, "reconcile-system").Items;
        Assert.Contains(events, e => e["reason"]?.GetValue<string>() == "StepStarted" && e["involvedObject"]!["kind"]!.GetValue<string>() == "MigrationRun");
        Assert.Contains("\"msg\":\"applied revision", output.ToString());
    }
}

/// <summary>Bad arguments to the long-running commands are usage errors with a message, never an internal error.</summary>
public sealed class LongRunningCommandArgumentTests
{
    private static (int Exit, string Out, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = Program.Run(args, new IOContext(output, error, Repository.Root));
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void An_unknown_fault_is_a_usage_error_for_simulate_and_serve()
    {
        foreach (var args in new[] { new[] { "simulate", "plans/examples/node-drain", "--fault", "meteor:cluster=x" }, ["simulator", "serve", "--world", "plans/examples/node-drain", "--fault", "meteor"] })
        {
            var (exit, _, error) = Run(args);
            Assert.Equal(2, exit);
            Assert.Contains("reconcile: --fault: unknown fault", error);
            Assert.DoesNotContain("RC1099", error);
        }
    }

    [Fact]
    public void A_kubeconfig_without_a_context_for_a_cluster_is_a_usage_error_that_names_it()
    {
        using var server = new GitServer();
        server.CopyExample("node-drain");
        server.Commit("plans");
        File.WriteAllText(Path.Combine(server.Scratch, "empty.kubeconfig"), "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
        var (exit, output, error) = Run("run", "--repo", server.Url, "--path", "plans/node-drain", "--once", "--kubeconfig", Path.Combine(server.Scratch, "empty.kubeconfig"), "--cache", Path.Combine(server.Scratch, "cache"));
        Assert.Equal(2, exit);
        Assert.Contains("has no context for cluster ber-1 (looked for 'ber-1')", output);
        Assert.DoesNotContain("RC1099", output + error);
    }
}
