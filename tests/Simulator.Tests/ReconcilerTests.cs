using System.Text.Json.Nodes;
using Reconcile.Cli.Simulation;
using Reconcile.Compiler;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Simulator.Tests;

/// <summary>The reconciler's executor against the simulator: campaigns complete within the graph's constraints, and restarts never duplicate a migration.</summary>
public sealed class ReconcilerTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

    private static (ValidationResult Validation, CompiledCampaign Campaign) Compile(string example, Func<string, string>? edit = null)
    {
        var validation = FrozenWorld.Load(example, edit);
        var result = Compilation.Run(validation, Now, new TemplateSet(null, Repository.Root));
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var graph = Assert.Single(result.Graphs);
        return (validation, CompiledCampaign.Of(result, graph.Plan));
    }

    public static TheoryData<string> Examples() => new() { "node-drain", "onprem-to-cloud", "fra-to-sgp" };

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Simulate_completes_every_example_within_dependencies_limits_and_groups(string example)
    {
        var (validation, campaign) = Compile(example);
        var report = await SimulationRunner.RunAsync(validation, campaign, seed: 1, faults: []);
        Assert.True(report.Completed, string.Join("\n", report.Events.TakeLast(20)));
        var byId = report.Steps.ToDictionary(s => s.Step.Id);

        // Every migration, live, cold or a staged cut-over: the simulator's own transport, guests and storage
        // agree with the planner's prediction within 20% (with a minute's slack for the reconciler's passes
        // around short steps), simulate says so, and the makespan is within 10%.
        foreach (var migration in report.Steps.Where(s => s.Step.Kind == StepKind.Migrate))
        {
            var simulated = (migration.End!.Value - migration.Start!.Value).TotalSeconds;
            Assert.True(Math.Abs(simulated - migration.Step.Predicted.Seconds) <= Math.Max(60, 0.2 * migration.Step.Predicted.Seconds),
                $"{migration.Step.Id}: predicted {migration.Step.Predicted.Seconds} s, simulated {simulated} s");
        }

        Assert.DoesNotContain(Reconcile.Cli.Commands.SimulateCommand.Render(report).Split('\n'), l => l.Contains("OFF BY", StringComparison.Ordinal));
        Assert.InRange(report.Makespan.TotalSeconds, campaign.Graph.MakespanSeconds * 0.9, campaign.Graph.MakespanSeconds * 1.1);

        // Dependencies: nothing started before what it depends on had ended.
        foreach (var step in report.Steps.Where(s => s.Start is not null))
        {
            Assert.All(step.Step.DependsOn, d => Assert.True(byId[d].End <= step.Start, $"{step.Step.Id} started before {d} ended"));
        }

        // Limits, counted at every start, from the simulated times alone.
        var moving = report.Steps.Where(s => s.Step.Kind is StepKind.Migrate or StepKind.ReplicateStorage).ToList();
        foreach (var step in moving)
        {
            var overlapping = moving.Where(o => o.Start <= step.Start && step.Start < o.End).ToList();
            foreach (var cluster in new[] { step.Step.From!.Cluster, step.Step.To!.Cluster }.Distinct())
            {
                Assert.True(overlapping.Count(o => o.Step.From!.Cluster == cluster || o.Step.To!.Cluster == cluster) <= campaign.Graph.Limits.PerCluster[cluster], $"{cluster} over its limit at {step.Start}");
            }

            foreach (var group in campaign.Policy.Groups.Where(g => g.Vms.Contains(step.Step.Vm!)))
            {
                Assert.True(overlapping.Where(o => group.Vms.Contains(o.Step.Vm!)).Select(o => o.Step.Vm).Distinct().Count() <= group.MaxConcurrent, $"group {group.Name} over its limit at {step.Start}");
            }
        }

        Assert.All(report.ClusterConcurrency, c => Assert.True(c.Value.Max <= c.Value.Limit));
        // One migration per live migrate step: nothing created twice.
        Assert.Equal(campaign.Graph.Steps.Count(s => s.Kind == StepKind.Migrate && campaign.Files.Keys.Any(f => f.EndsWith($"/steps/{s.Id}.yaml", StringComparison.Ordinal) && campaign.Files[f].Contains("kind: VirtualMachineInstanceMigration", StringComparison.Ordinal)))
            , report.MigrationsCreated);
    }

    [Fact]
    public async Task Simulated_makespan_stays_near_the_prediction_for_live_in_cluster_moves()
    {
        var (validation, campaign) = Compile("node-drain");
        var report = await SimulationRunner.RunAsync(validation, campaign, seed: 3, faults: []);
        Assert.InRange(report.Makespan.TotalSeconds, campaign.Graph.MakespanSeconds * 0.5, campaign.Graph.MakespanSeconds * 1.25);
    }

    [Fact]
    public async Task A_failed_migration_is_retried_and_a_second_failure_follows_onFailure()
    {
        var (validation, campaign) = Compile("node-drain");
        var once = await SimulationRunner.RunAsync(validation, campaign, 1, [new JsonObject { ["type"] = "fail-migration", ["namespace"] = "erp", ["vmi"] = "erp-db-0" }]);
        Assert.True(once.Completed);
        var db = once.Steps.Single(s => s.Step.Id == "migrate-erp.erp-db-0");
        Assert.Equal((StepPhase.Succeeded, 2), (db.Phase, db.Attempts));
        Assert.Contains(once.Events, e => e.Contains("migrate-erp.erp-db-0 failed (injected fault", StringComparison.Ordinal) && e.Contains("retrying", StringComparison.Ordinal));

        // retries: 1, so a second failure is final; onFailure: Pause stops new work.
        var twice = await SimulationRunner.RunAsync(validation, campaign, 1,
        [
            new JsonObject { ["type"] = "fail-migration", ["namespace"] = "erp", ["vmi"] = "erp-db-0" },
            new JsonObject { ["type"] = "fail-migration", ["namespace"] = "erp", ["vmi"] = "erp-db-0" },
        ]);
        Assert.False(twice.Completed);
        Assert.True(twice.Stalled);
        Assert.Equal(StepPhase.Failed, twice.Steps.Single(s => s.Step.Id == "migrate-erp.erp-db-0").Phase);
        Assert.Contains(twice.Steps, s => s.Phase == StepPhase.Pending && s.Step.Kind == StepKind.Migrate);
    }

    [Fact]
    public async Task A_suspended_plan_starts_nothing()
    {
        var (validation, campaign) = Compile("node-drain", text => text.Replace("  horizon: 336h\n", "  horizon: 336h\n  suspend: true\n", StringComparison.Ordinal));
        Assert.True(campaign.Policy.Suspend);
        await using var sim = await RunningSimulator.Start("node-drain");
        var gateways = sim.Gateways();
        var executor = new CampaignExecutor(campaign, gateways, "ber-1", () => sim.Host.World.Clock.Now);
        var pass = await executor.PassAsync(CancellationToken.None);
        Assert.All(pass.Steps.Where(s => s.Id.StartsWith("migrate", StringComparison.Ordinal)), s => Assert.Equal(StepPhase.Pending, s.Phase));
        Assert.Contains(pass.Conditions, c => c.Type == "Suspended" && c.Status);
        var run = await gateways["ber-1"].GetAsync(CampaignExecutor.RunApiVersion, CampaignExecutor.RunKind, CampaignExecutor.RunNamespace, executor.RunName, CancellationToken.None);
        Assert.Equal("True", run!["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Suspended")!["status"]!.GetValue<string>());
    }

    /// <summary>A gateway that dies (as the process would) after a number of calls.</summary>
    private sealed class CrashingGateway(IClusterGateway inner, Func<bool> crashNow) : IClusterGateway
    {
        public string Cluster => inner.Cluster;

        private T Check<T>(T value) => crashNow() ? throw new SimulatedCrash() : value;

        public async Task<JsonObject> ApplyAsync(JsonObject obj, CancellationToken cancel) => Check(await inner.ApplyAsync(obj, cancel));

        public async Task<JsonObject> ApplyStatusAsync(JsonObject obj, CancellationToken cancel) => Check(await inner.ApplyStatusAsync(obj, cancel));

        public async Task<JsonObject?> GetAsync(string apiVersion, string kind, string? ns, string name, CancellationToken cancel) => Check(await inner.GetAsync(apiVersion, kind, ns, name, cancel));

        public async Task<IReadOnlyList<JsonObject>> ListAsync(string apiVersion, string kind, string? ns, string? labelSelector, CancellationToken cancel) => Check(await inner.ListAsync(apiVersion, kind, ns, labelSelector, cancel));

        public async Task DeleteAsync(string apiVersion, string kind, string? ns, string name, CancellationToken cancel)
        {
            await inner.DeleteAsync(apiVersion, kind, ns, name, cancel);
            Check(0);
        }

        public async Task EnsureNamespaceAsync(string ns, CancellationToken cancel)
        {
            await inner.EnsureNamespaceAsync(ns, cancel);
            Check(0);
        }

        public async Task RecordEventAsync(JsonObject involved, string type, string reason, string message, DateTime time, CancellationToken cancel)
        {
            await inner.RecordEventAsync(involved, type, reason, message, time, cancel);
            Check(0);
        }
    }

    private sealed class SimulatedCrash : Exception;

    [Fact]
    public async Task Killed_at_many_points_and_restarted_the_reconciler_never_creates_a_second_migration()
    {
        var (validation, campaign) = Compile("fra-to-sgp");
        // Live migrations only: a staged cut-over stops the VM and starts it on its replicas, with no VMIM.
        var liveSteps = campaign.Graph.Steps.Where(s => s.Kind == StepKind.Migrate &&
            campaign.Files[$"{s.From!.Cluster}/steps/{s.Id}.yaml"].Contains("kind: VirtualMachineInstanceMigration", StringComparison.Ordinal)).ToList();
        var live = liveSteps.Count;
        Assert.InRange(live, 1, campaign.Graph.Steps.Count(s => s.Kind == StepKind.Migrate) - 1);
        // Each call dies with probability 1/n: restarts land at every kind of point (before and after
        // creating objects, between recording a start and applying, mid-observation).
        foreach (var (n, seed) in new[] { (5, 1), (9, 2), (17, 3), (40, 4) })
        {
            var random = new Random(seed);
            await using var sim = await RunningSimulator.Start("fra-to-sgp");
            sim.Host.World.Clock.Advance(campaign.Graph.Start - sim.Host.World.Clock.Now);
            var created = new List<string>();
            foreach (var cluster in sim.Host.World.Clusters.Values)
            {
                var admit = cluster.Store.Admit;
                cluster.Store.Admit = (kind, obj) =>
                {
                    var refused = admit?.Invoke(kind, obj);
                    if (refused is null && kind.Kind == "VirtualMachineInstanceMigration" && obj["spec"]?["receive"] is null)
                    {
                        created.Add(obj["spec"]!["vmiName"]!.GetValue<string>());
                    }

                    return refused;
                };
            }

            var calls = 0;
            var restarts = 0;
            // The executor calls its gateways concurrently (a revision's static manifests); Random is not
            // thread-safe (used from two threads it can return 0 for ever), so the draw is taken under a lock.
            var draw = new Lock();
            var gateways = sim.Host.World.Clusters.Keys.ToDictionary(c => c, c => (IClusterGateway)new CrashingGateway(
                KubernetesGateway.FromKubeconfig(c, sim.Kubeconfig, c), () =>
                {
                    lock (draw)
                    {
                        return ++calls > 0 && random.Next(n) == 0;
                    }
                }));
            var finished = false;
            // A guard against a livelock, not a budget: at 1/5 the first pass (about 35 calls: the static
            // manifests, the certificate exchange, the run) gets through once in ~2,500 tries, and the whole
            // campaign takes 17,000-19,000 passes, which a 20,000 bound failed now and then.
            for (var i = 0; i < 100_000 && !finished; i++)
            {
                // A new executor each time: all it knows comes from the cluster.
                var executor = new CampaignExecutor(campaign, gateways, "fra-1", () => sim.Host.World.Clock.Now);
                try
                {
                    sim.Host.Engine.Tick();
                    var pass = await executor.PassAsync(CancellationToken.None);
                    finished = pass.Steps.All(s => s.IsDone);
                    sim.Host.World.Clock.Advance(pass.Steps.Any(s => s.Phase == StepPhase.Running) ? TimeSpan.FromSeconds(5) : TimeSpan.FromMinutes(5));
                }
                catch (SimulatedCrash)
                {
                    restarts++;
                }
            }

            Assert.True(finished, $"crash at 1/{n} of calls: did not finish");
            Assert.True(restarts > 10, $"only {restarts} restarts in {calls} calls");
            Assert.Equal(live, created.Count);
            var perVm = liveSteps.GroupBy(s => s.Vm!.Split('/')[1]).ToDictionary(g => g.Key, g => g.Count());
            Assert.All(created.GroupBy(v => v), g => Assert.Equal(perVm[g.Key], g.Count()));
        }
    }
}

/// <summary>Faults on the way: API errors during a campaign, and a window closing on a migration.</summary>
public sealed class ReconcilerFaultTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

    private static (ValidationResult Validation, CompiledCampaign Campaign) Compile(string example)
    {
        var validation = FrozenWorld.Load(example);
        var result = Compilation.Run(validation, Now, new TemplateSet(null, Repository.Root));
        return (validation, CompiledCampaign.Of(result, result.Graphs.Single().Plan));
    }

    [Fact]
    public async Task Bursts_of_5xx_429_and_409_do_not_stop_the_campaign_or_duplicate_a_migration()
    {
        var (validation, campaign) = Compile("node-drain");
        var report = await SimulationRunner.RunAsync(validation, campaign, 1,
        [
            new JsonObject { ["type"] = "api-error", ["count"] = 15, ["code"] = 503 },
            new JsonObject { ["type"] = "throttle", ["count"] = 10 },
            new JsonObject { ["type"] = "conflict", ["count"] = 5 },
        ]);
        Assert.True(report.Completed);
        Assert.Contains(report.Events, e => e.Contains("API error, retrying", StringComparison.Ordinal));
        Assert.Equal(10, report.MigrationsCreated);
    }

    [Fact]
    public async Task A_migration_still_running_when_its_window_closes_is_cancelled_and_runs_again_in_the_next_window()
    {
        var (_, campaign) = Compile("fra-to-sgp");
        await using var sim = await RunningSimulator.Start("fra-to-sgp");
        sim.Host.World.Clock.Advance(campaign.Graph.Start - sim.Host.World.Clock.Now);
        var gateways = sim.Gateways();
        var executor = new CampaignExecutor(campaign, gateways, "fra-1", () => sim.Host.World.Clock.Now);
        var events = new List<string>();
        PassResult pass;
        bool slowed = false, restored = false;
        // The live hop into the staging cluster (the cross-border cut-overs are cold: they are never cancelled).
        const string Cutover = "migrate-payments.reporting-0-via-fra-2";
        do
        {
            sim.Host.Engine.Tick();
            pass = await executor.PassAsync(CancellationToken.None);
            events.AddRange(pass.Events);
            if (!slowed && events.Any(e => e.Contains($"started {Cutover} ", StringComparison.Ordinal)))
            {
                // The last VM's hop starts late in the weekend night; now the Frankfurt link crawls
                // (fast enough to progress, too slow to finish before the window closes).
                sim.Host.Faults.Add(new JsonObject { ["type"] = "slow-link", ["link"] = "fra-1~fra-2", ["factor"] = 0.0037 }, sim.Host.World.Clock.Now);
                slowed = true;
            }

            if (!restored && events.Any(e => e.Contains($"cancelled {Cutover}", StringComparison.Ordinal)))
            {
                // The cancelled VMIMs are gone, and the step waits for the next window.
                var vmims = new[] { "fra-1", "fra-2" }.SelectMany(c => sim.Host.World.Clusters[c].Store.List(Reconcile.Simulator.Api.ResourceRegistry.Migration, "payments").Items);
                Assert.DoesNotContain(vmims, v => v["metadata"]!["name"]!.GetValue<string>().Contains("migrate-payments-reporting-0-", StringComparison.Ordinal) && v["status"]?["phase"]?.GetValue<string>() is not ("Succeeded" or "Failed"));
                var step = pass.Steps.Single(s => s.Id == Cutover);
                Assert.Equal(StepPhase.Pending, step.Phase);
                Assert.Contains("closed", step.Message);
                sim.Host.Faults.Add(new JsonObject { ["type"] = "restore-link", ["link"] = "fra-1~fra-2" }, sim.Host.World.Clock.Now);
                restored = true;
            }

            sim.Host.World.Clock.Advance(pass.Steps.Any(s => s.Phase == StepPhase.Running) ? TimeSpan.FromSeconds(30) : TimeSpan.FromMinutes(10));
        }
        while (!pass.Steps.All(s => s.IsDone) && pass.Steps.All(s => s.Phase != StepPhase.Failed) && sim.Host.World.Clock.Now < campaign.Graph.Start.AddDays(10));

        Assert.True(restored, "the window never closed on the migration:\n" + string.Join("\n", events.Where(e => e.Contains("reporting-0", StringComparison.Ordinal))));
        Assert.True(pass.Steps.All(s => s.IsDone), string.Join("\n", events.TakeLast(10)));
        var done = pass.Steps.Single(s => s.Id == Cutover);
        Assert.Equal(1, done.Attempts);
        Assert.True(done.StartTime > campaign.Graph.Start.AddDays(1), $"it ran again in the next window, not at {done.StartTime}");
    }
}

/// <summary>strategy.onFailure: Rollback — finished migrations go back, newest first, one hop at a time.</summary>
public sealed class RollbackTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

    private static (ValidationResult Validation, CompiledCampaign Campaign) Compile(string example, Func<string, string>? edit = null)
    {
        var validation = FrozenWorld.Load(example, edit);
        var result = Compilation.Run(validation, Now, new TemplateSet(null, Repository.Root));
        return (validation, CompiledCampaign.Of(result, result.Graphs.Single().Plan));
    }

    private static JsonObject Fail(string ns, string vmi) => new() { ["type"] = "fail-migration", ["namespace"] = ns, ["vmi"] = vmi };

    [Fact]
    public async Task A_cross_cluster_staged_move_goes_back_both_hops_when_a_later_VM_fails_for_good()
    {
        // fra-to-sgp rolls back on failure; db-1 fails twice (retries: 1) after the canary db-0 reached Singapore.
        var (validation, campaign) = Compile("fra-to-sgp");
        var report = await SimulationRunner.RunAsync(validation, campaign, 1, [Fail("payments", "db-1"), Fail("payments", "db-1")]);
        Assert.True(report.Stalled);
        Assert.True(report.Placement["payments/db-0"] == "fra-1/fra-1-w1", string.Join("\n", report.Events.TakeLast(15)));
        Assert.StartsWith("fra-1/", report.Placement["payments/db-1"]);
        var rollbacks = report.Events.Where(e => e.Contains("rollback-", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            ["started rollback-migrate-payments.db-0 ", "finished rollback-migrate-payments.db-0", "started rollback-migrate-payments.db-0-via-fra-2 ", "finished rollback-migrate-payments.db-0-via-fra-2"],
            rollbacks.Select(e => e[(e.IndexOf(' ') + 1)..]).Select(e => e.StartsWith("started", StringComparison.Ordinal) ? e[..(e.IndexOf(" (", StringComparison.Ordinal) + 1)] : e));
    }

    [Fact]
    public async Task An_in_cluster_move_goes_back_to_its_original_node()
    {
        var (validation, campaign) = Compile("node-drain", text => text.Replace("onFailure: Pause", "onFailure: Rollback", StringComparison.Ordinal));
        Assert.Equal(Reconcile.Compiler.Model.FailurePolicy.Rollback, campaign.Policy.OnFailure);
        var report = await SimulationRunner.RunAsync(validation, campaign, 1, [Fail("erp", "erp-db-0"), Fail("erp", "erp-db-0")]);
        Assert.True(report.Stalled);
        // Every VM that had moved (the canary grafana-0, and what stage 2 finished before erp-db-0 failed
        // for good) is back on its original node; erp-db-0 never left it.
        foreach (var vm in validation.Model.Inventories.SelectMany(i => i.Vms))
        {
            Assert.Equal($"ber-1/{vm.Node}", report.Placement[vm.Id]);
        }

        Assert.Contains(report.Events, e => e.Contains("finished rollback-migrate-monitoring.grafana-0", StringComparison.Ordinal));
        // One Event says the rollback started, before the first reversal starts.
        var started = Assert.Single(report.Events, e => e.Contains("rolling back: the campaign stalled", StringComparison.Ordinal));
        Assert.True(report.Events.ToList().IndexOf(started) < report.Events.ToList().FindIndex(e => e.Contains("started rollback-", StringComparison.Ordinal)));
    }
}

/// <summary>Cold moves import their disks with the export's token and its proxy's CA, which the reconciler shares between the clusters.</summary>
public sealed class ExportTokenTests
{
    [Fact]
    public async Task A_cold_move_shares_the_export_token_and_CA_with_the_importing_cluster_and_keeps_them_across_restarts()
    {
        var validation = FrozenWorld.Load("onprem-to-cloud");
        var result = Compilation.Run(validation, new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), new TemplateSet(null, Repository.Root));
        var campaign = CompiledCampaign.Of(result, result.Graphs.Single().Plan);
        var cold = campaign.Graph.Steps.First(s => s.Kind == StepKind.Migrate && campaign.Files.TryGetValue($"{s.From!.Cluster}/steps/{s.Id}.yaml", out var f) && f.Contains("VirtualMachineExport", StringComparison.Ordinal));
        await using var sim = await RunningSimulator.Start("onprem-to-cloud");
        sim.Host.World.Clock.Advance(campaign.Graph.Start - sim.Host.World.Clock.Now);
        var gateways = sim.Gateways();
        JsonObject Object(string path, string kind)
        {
            var documents = new List<Reconcile.Compiler.Loading.PlanDocument>();
            Reconcile.Compiler.Loading.PlanLoader.LoadText(path, campaign.Files[path], documents, []);
            return documents.Select(d => d.Root).OfType<JsonObject>().First(o => o["kind"]!.GetValue<string>() == kind);
        }

        var export = Object($"{cold.From!.Cluster}/steps/{cold.Id}.yaml", "VirtualMachineExport");
        var receiver = Object($"{cold.To!.Cluster}/steps/{cold.Id}.yaml", "VirtualMachine");
        var tokenSecret = export["spec"]!["tokenSecretRef"]!.GetValue<string>();
        var headerSecret = receiver["spec"]!["dataVolumeTemplates"]![0]!["spec"]!["source"]!["http"]!["secretExtraHeaders"]![0]!.GetValue<string>();
        string? firstToken = null;
        for (var i = 0; i < 200; i++)
        {
            // A fresh executor every pass: a restart must keep the token.
            var pass = await new CampaignExecutor(campaign, gateways, cold.From.Cluster, () => sim.Host.World.Clock.Now).PassAsync(CancellationToken.None);
            var header = sim.Host.World.Clusters[cold.To.Cluster].Store.Get(Reconcile.Simulator.Api.ResourceRegistry.Secret, receiver["metadata"]!["namespace"]!.GetValue<string>(), headerSecret);
            if (header is not null)
            {
                var sent = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(header["data"]!["token"]!.GetValue<string>()));
                var source = sim.Host.World.Clusters[cold.From.Cluster].Store.Get(Reconcile.Simulator.Api.ResourceRegistry.Secret, export["metadata"]!["namespace"]!.GetValue<string>(), tokenSecret)!;
                var token = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(source["data"]!["token"]!.GetValue<string>()));
                Assert.Equal($"x-kubevirt-export-token: {token}", sent);
                firstToken ??= token;
                Assert.Equal(firstToken, token);
                if (pass.Steps.Single(s => s.Id == cold.Id).Phase == StepPhase.Succeeded)
                {
                    // The export proxy's CA travels with it, in the ConfigMap each import names (ca.pem).
                    var caConfigMap = receiver["spec"]!["dataVolumeTemplates"]![0]!["spec"]!["source"]!["http"]!["certConfigMap"]!.GetValue<string>();
                    var ca = sim.Host.World.Clusters[cold.To.Cluster].Store.Get(Reconcile.Simulator.Api.ResourceRegistry.ConfigMap, receiver["metadata"]!["namespace"]!.GetValue<string>(), caConfigMap)!;
                    Assert.Equal(Reconcile.Simulator.World.SimulatedWorld.ExportProxyCaCertificate(cold.From.Cluster), ca["data"]!["ca.pem"]!.GetValue<string>());
                    return;
                }
            }

            sim.Host.Engine.Tick();
            sim.Host.World.Clock.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.NotNull(firstToken);
    }
}

/// <summary>Rollback of a mixed campaign: live cross-cluster moves migrate back, cold moves restart their originals.</summary>
public sealed class MixedRollbackTests
{
    [Fact]
    public async Task Every_VM_of_a_mixed_live_and_cold_campaign_is_back_in_its_original_cluster()
    {
        var validation = FrozenWorld.Load("onprem-to-cloud", text => text.Replace("onFailure: Pause", "onFailure: Rollback", StringComparison.Ordinal).Replace("onFailure: Continue", "onFailure: Rollback", StringComparison.Ordinal));
        var result = Compilation.Run(validation, new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), new TemplateSet(null, Repository.Root));
        var campaign = CompiledCampaign.Of(result, result.Graphs.Single().Plan);
        Assert.Equal(Reconcile.Compiler.Model.FailurePolicy.Rollback, campaign.Policy.OnFailure);
        var faults = Enumerable.Repeat(0, campaign.Policy.Retries + 1).Select(_ => new JsonObject { ["type"] = "fail-migration", ["namespace"] = "kafka", ["vmi"] = "kafka-0" }).ToList();
        var report = await SimulationRunner.RunAsync(validation, campaign, 1, faults);
        Assert.True(report.Stalled);
        Assert.Contains(report.Events, e => e.Contains("finished rollback-migrate-batch.etl-0", StringComparison.Ordinal));
        foreach (var vm in validation.Model.Inventories.SelectMany(i => i.Vms))
        {
            Assert.StartsWith($"{vm.Cluster}/", report.Placement[vm.Id]);
        }

        // Migrations back respect the clusters' limits: never more running at once than perCluster allows.
        var running = 0;
        var most = 0;
        foreach (var e in report.Events.Where(e => e.Contains(" rollback-", StringComparison.Ordinal)))
        {
            running += e.Contains(" started rollback-", StringComparison.Ordinal) ? 1 : e.Contains(" finished rollback-", StringComparison.Ordinal) || e.Contains(" failed", StringComparison.Ordinal) ? -1 : 0;
            most = Math.Max(most, running);
        }

        Assert.InRange(most, 2, campaign.Graph.Limits.PerCluster.Values.Min());
    }
}
