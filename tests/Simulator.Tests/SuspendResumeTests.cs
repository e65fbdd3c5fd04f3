using Reconcile.Cli;
using Reconcile.Compiler;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// `reconcile suspend|resume|rollback PLAN` against the simulator and a real reconciler: the setting holds
/// while the reconciler applies the run again (a new revision, a restart), a suspended run starts nothing,
/// a resumed one carries on, a plan that suspends itself says so, and a rollback puts every VM that moved
/// back on its original node and starts nothing new.
/// </summary>
public sealed class SuspendResumeTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

    private static CompiledCampaign Compile(Func<string, string>? edit = null)
    {
        var result = Compilation.Run(FrozenWorld.Load("node-drain", edit), Now, new TemplateSet(null, Repository.Root));
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return CompiledCampaign.Of(result, result.Graphs.Single().Plan);
    }

    private static (int Exit, string Out, string Error) Cli(RunningSimulator sim, params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exit = Program.Run([.. args, "--kubeconfig", sim.Kubeconfig, "--context", "ber-1"], new IOContext(output, error, Repository.Root));
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Passes in simulated time (30 s while a step runs, 10 min otherwise) until <paramref name="done"/> says so.</summary>
    private static async Task<PassResult> Until(RunningSimulator sim, CampaignExecutor executor, Func<PassResult, bool> done)
    {
        for (var i = 0; i < 2000; i++)
        {
            sim.Host.Engine.Tick();
            var pass = await executor.PassAsync(CancellationToken.None);
            if (done(pass))
            {
                return pass;
            }

            sim.Host.World.Clock.Advance(pass.Steps.Any(s => s.Phase == StepPhase.Running) ? TimeSpan.FromSeconds(30) : TimeSpan.FromMinutes(10));
        }

        throw new Xunit.Sdk.XunitException("the campaign did not get there in 2,000 passes");
    }

    private static bool IsSuspended(PassResult pass) => pass.Conditions.Single(c => c.Type == "Suspended").Status;

    [Fact]
    public async Task A_suspended_run_starts_nothing_across_new_applies_and_a_resumed_one_carries_on()
    {
        var campaign = Compile();
        await using var sim = await RunningSimulator.Start("node-drain");
        var gateways = sim.Gateways();
        var executor = new CampaignExecutor(campaign, gateways, "ber-1", () => sim.Host.World.Clock.Now);
        await executor.ApplyStaticAsync(CancellationToken.None);

        var suspended = Cli(sim, "suspend", campaign.Compiled.Name);
        Assert.True(suspended.Exit == 0, suspended.Error);
        Assert.Contains($"migrationrun/{executor.RunName} suspended", suspended.Out, StringComparison.Ordinal);
        // The reconciler applies the run again, as on every new revision and after a restart: it stays suspended.
        await executor.ApplyStaticAsync(CancellationToken.None);
        var pass = await executor.PassAsync(CancellationToken.None);
        Assert.True(IsSuspended(pass));
        Assert.All(pass.Steps, s => Assert.Equal(StepPhase.Pending, s.Phase));

        var resumed = Cli(sim, "resume", campaign.Compiled.Name);
        Assert.True(resumed.Exit == 0, resumed.Error);
        await executor.ApplyStaticAsync(CancellationToken.None);
        pass = await executor.PassAsync(CancellationToken.None);
        Assert.False(IsSuspended(pass));
        Assert.Contains(pass.Steps, s => s.Phase != StepPhase.Pending);
    }

    [Fact]
    public async Task Resuming_a_plan_that_suspends_itself_or_a_run_that_is_not_there_fails_with_the_reason()
    {
        var campaign = Compile(text => text.Replace("  horizon: 336h\n", "  horizon: 336h\n  suspend: true\n", StringComparison.Ordinal));
        await using var sim = await RunningSimulator.Start("node-drain");
        var gateways = sim.Gateways();
        var executor = new CampaignExecutor(campaign, gateways, "ber-1", () => sim.Host.World.Clock.Now);
        await executor.ApplyStaticAsync(CancellationToken.None);

        var resumed = Cli(sim, "resume", campaign.Compiled.Name);
        Assert.Equal(ExitCodes.Errors, resumed.Exit);
        Assert.Contains("itself says suspend: true", resumed.Error, StringComparison.Ordinal);
        await executor.ApplyStaticAsync(CancellationToken.None);
        Assert.True(IsSuspended(await executor.PassAsync(CancellationToken.None)));

        var missing = Cli(sim, "suspend", "no-such-plan");
        Assert.Equal(ExitCodes.Errors, missing.Exit);
        Assert.Contains("no MigrationRun no-such-plan in reconcile-system on ber-1", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollback_reverses_the_finished_migrations_and_starts_nothing_new()
    {
        var campaign = Compile();
        await using var sim = await RunningSimulator.Start("node-drain");
        var gateways = sim.Gateways();
        var executor = new CampaignExecutor(campaign, gateways, "ber-1", () => sim.Host.World.Clock.Now);
        var store = sim.Host.World.Clusters["ber-1"].Store;
        string NodeOf(string ns, string name) => store.Get(Reconcile.Simulator.Api.ResourceRegistry.VirtualMachineInstance, ns, name)!["status"]!["nodeName"]!.GetValue<string>();
        var vms = FrozenWorld.Load("node-drain").Model.Inventories.SelectMany(i => i.Vms).ToList();
        var original = vms.ToDictionary(v => v.Id, v => NodeOf(v.Namespace, v.Name));

        // The canary stage done: at least one VM has moved.
        var before = await Until(sim, executor, p => p.Steps.Any(s => s.Id.StartsWith("migrate-", StringComparison.Ordinal) && s.Phase == StepPhase.Succeeded));
        Assert.Contains(vms, v => NodeOf(v.Namespace, v.Name) != original[v.Id]);
        var waiting = before.Steps.Where(s => s.Phase == StepPhase.Pending && s.Id.StartsWith("migrate-", StringComparison.Ordinal)).Select(s => s.Id).ToList();
        Assert.NotEmpty(waiting);

        var requested = Cli(sim, "rollback", campaign.Compiled.Name);
        Assert.True(requested.Exit == 0, requested.Error);
        Assert.Contains("rolling back", requested.Out, StringComparison.Ordinal);
        await executor.ApplyStaticAsync(CancellationToken.None); // a new revision's apply keeps the request
        var last = await Until(sim, executor, p => p.Conditions.Single(c => c.Type == "Stalled").Reason == "RolledBack");

        Assert.All(vms, v => Assert.Equal(original[v.Id], NodeOf(v.Namespace, v.Name)));
        Assert.Contains(last.Steps, s => s.Id.StartsWith("rollback-", StringComparison.Ordinal) && s.Phase == StepPhase.Succeeded);
        // What waited when the rollback was asked for never started.
        Assert.All(waiting, id => Assert.Equal(StepPhase.Pending, last.Steps.Single(s => s.Id == id).Phase));
        Assert.DoesNotContain(last.Steps, s => !s.Id.StartsWith("rollback-", StringComparison.Ordinal) && s.Phase == StepPhase.Running);
        Assert.Equal("RollingBack", last.Conditions.Single(c => c.Type == "Ready").Reason);
    }

    [Fact]
    public async Task Retry_runs_a_failed_step_again_and_the_campaign_carries_on()
    {
        var campaign = Compile();
        await using var sim = await RunningSimulator.Start("node-drain");
        // retries: 1 in the plan: two failures are final, and onFailure: Pause stalls the campaign.
        foreach (var _ in Enumerable.Range(0, 2))
        {
            Assert.Null(sim.Host.Faults.Add(new System.Text.Json.Nodes.JsonObject { ["type"] = "fail-migration", ["namespace"] = "erp", ["vmi"] = "erp-db-0" }, sim.Host.World.Clock.Now));
        }

        var gateways = sim.Gateways();
        var executor = new CampaignExecutor(campaign, gateways, "ber-1", () => sim.Host.World.Clock.Now, backoff: Backoff.Fixed);
        const string Step = "migrate-erp.erp-db-0";

        var stalled = await Until(sim, executor, p => p.Stalled);
        Assert.Equal(StepPhase.Failed, stalled.Steps.Single(s => s.Id == Step).Phase);

        var notFailed = Cli(sim, "retry", campaign.Compiled.Name, "migrate-monitoring.grafana-0");
        Assert.Equal(ExitCodes.Errors, notFailed.Exit);
        Assert.Contains("migrate-monitoring.grafana-0 is Succeeded: only failed or cancelled steps are retried", notFailed.Error, StringComparison.Ordinal);

        var retried = Cli(sim, "retry", campaign.Compiled.Name, Step);
        Assert.True(retried.Exit == 0, retried.Error);
        var first = await executor.PassAsync(CancellationToken.None);
        Assert.False(first.Stalled);
        Assert.Contains(first.Events, e => e.Contains($"retrying {Step}", StringComparison.Ordinal));
        var done = await Until(sim, executor, p => p.Finished);
        Assert.Equal(StepPhase.Succeeded, done.Steps.Single(s => s.Id == Step).Phase);
        Assert.Equal(1, done.Steps.Single(s => s.Id == Step).Attempts);
        Assert.All(done.Steps.Where(s => !s.Id.StartsWith("rollback-", StringComparison.Ordinal)), s => Assert.True(s.IsDone, s.Id));
        // The request is handled once: later passes do not reset the step again.
        Assert.DoesNotContain((await executor.PassAsync(CancellationToken.None)).Events, e => e.Contains("retry", StringComparison.Ordinal));
    }
}
