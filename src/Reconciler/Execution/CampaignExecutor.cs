using System.Text.Json.Nodes;
using Reconcile.Compiler.Execution;
using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution.Drivers;

namespace Reconcile.Reconciler.Execution;

/// <summary>What a pass did, for logs, metrics and `reconcile status`.</summary>
public sealed record PassResult(IReadOnlyList<StepState> Steps, IReadOnlyList<Condition> Conditions, IReadOnlyList<string> Events)
{
    /// <summary>Predicted bytes of the data-moving steps that have finished.</summary>
    public long BytesMoved { get; init; }

    /// <summary>Seconds until the window of the running migrations closes (the soonest); null when none runs in a window.</summary>
    public double? WindowSecondsLeft { get; init; }

    /// <summary>What happened to steps this pass, for the metrics.</summary>
    public IReadOnlyList<StepTransition> Transitions { get; init; } = [];

    /// <summary>The Kubernetes Events this pass recorded (reason, warning, message), for notifications.</summary>
    public IReadOnlyList<(string Reason, bool Warning, string Message)> Recorded { get; init; } = [];

    public bool Finished => Steps.All(s => s.IsDone || s.Phase is StepPhase.Failed or StepPhase.Cancelled);

    public bool Stalled => Conditions.Any(c => c.Type == "Stalled" && c.Status);
}

/// <summary>
/// Carries a compiled campaign out, one pass at a time, keeping every step's progress in the
/// MigrationRun's status so that a restarted reconciler rebuilds its state from the cluster. Each pass
/// reads the state, lets each running step's driver observe it, starts what may start (dependencies
/// done, window open with room, limits free: StepAdmission), and writes the state back. What a step
/// is comes from its manifest (StepAction, object roles): one driver per action carries it out.
/// Failures are retried with a capped, jittered backoff, then follow the run policy's onFailure.
/// </summary>
public sealed class CampaignExecutor
{
    public const string RunApiVersion = Conventions.RunApiVersion;
    public const string RunKind = Conventions.RunKind;
    public const string RunNamespace = Conventions.RunNamespace;

    private readonly CompiledCampaign campaign;
    private readonly IReadOnlyDictionary<string, IClusterGateway> clusters;
    public IClusterGateway Home { get; }
    private readonly Func<DateTime> clock;
    private readonly string? revision;
    private readonly Backoff backoff;
    private readonly StepAdmission admission;
    private readonly IReadOnlyDictionary<StepAction, StepDriver> drivers;
    private readonly CampaignRollback rollback;
    private readonly JsonObject run;
    private readonly KnownRunState known = new();

    public CampaignExecutor(CompiledCampaign campaign, IReadOnlyDictionary<string, IClusterGateway> clusters, string homeCluster, Func<DateTime> clock, string? revision = null, Backoff? backoff = null)
    {
        this.campaign = campaign;
        this.clusters = clusters;
        Home = clusters[homeCluster];
        this.clock = clock;
        this.revision = revision;
        this.backoff = backoff ?? Backoff.Default;
        admission = new StepAdmission(campaign);
        var context = new StepContext(campaign, clusters);
        var migration = new MigrationDriver(context);
        drivers = new Dictionary<StepAction, StepDriver>
        {
            [StepAction.Snapshot] = new SnapshotDriver(context),
            [StepAction.Replicate] = new ReplicateDriver(context),
            [StepAction.LocalMigration] = migration,
            [StepAction.LiveMigration] = migration,
            [StepAction.ColdMigration] = new ColdMigrationDriver(context),
            [StepAction.StagedCutover] = new StagedCutoverDriver(context),
            [StepAction.Verify] = new VerifyDriver(context),
        };
        rollback = new CampaignRollback(campaign, new RollbackDriver(context), this.backoff);
        run = campaign.FileObjects("run/migrationrun.yaml").Single();
        RunName = run["metadata"]!["name"]!.GetValue<string>();
    }

    public string RunName { get; }

    /// <summary>Applies the run's CRD, its static manifests and its MigrationRun: the part Argo CD or Flux could sync too.</summary>
    public async Task ApplyStaticAsync(CancellationToken cancel)
    {
        foreach (var crd in campaign.FileObjects("run/migrationrun-crd.yaml"))
        {
            await Home.ApplyAsync(crd, cancel);
        }

        await Home.EnsureNamespaceAsync(RunNamespace, cancel);
        if (campaign.Files.ContainsKey("run/prometheusrule-reconciler.yaml"))
        {
            foreach (var rule in campaign.FileObjects("run/prometheusrule-reconciler.yaml"))
            {
                await Home.ApplyAsync(rule, cancel);
            }
        }

        await StaticManifests.ApplyAsync(campaign, clusters, cancel);

        await CertificateExchange.RunAsync(campaign.Graph, clusters, cancel);
        await Home.ApplyAsync((JsonObject)run.DeepClone(), cancel);
    }

    /// <summary>One reconcile pass: read the state from the MigrationRun, observe running steps, start what may start, write the state back.</summary>
    public async Task<PassResult> PassAsync(CancellationToken cancel, RevisionReport? revisions = null)
    {
        revisions ??= RevisionReport.None;
        var now = clock();
        var live = await Home.GetAsync(RunApiVersion, RunKind, RunNamespace, RunName, cancel);
        if (live is null)
        {
            await ApplyStaticAsync(cancel);
            live = await Home.GetAsync(RunApiVersion, RunKind, RunNamespace, RunName, cancel) ?? throw new InvalidOperationException($"MigrationRun {RunName} was not created");
        }

        // The steps as the status lists them, read only when the run is not the one last written (then once).
        IReadOnlyList<StepState>? listed = null;
        var state = known.StepsIfCurrent(live) ?? ReadState(listed = RunStepRecords.Read(live["status"]));
        var events = new PassEvents(now);
        foreach (var id in state.Where(p => p.Value.Phase == StepPhase.Running && !Conventions.IsRollback(p.Key)).Select(p => p.Key).Order(StringComparer.Ordinal).ToList())
        {
            state[id] = await ObserveAsync(campaign.Step(id), state[id], now, events, cancel);
        }

        var retryHandled = RetryRequest.Apply(live, state, events);
        var policy = campaign.Policy;
        var failed = state.Values.Count(s => s.Phase == StepPhase.Failed && !Conventions.IsRollback(s.Id));
        var stalled = failed > 0 && policy.OnFailure != FailurePolicy.Continue || failed > policy.MaxFailures;
        var suspended = policy.Suspend || live["spec"]?["suspend"]?.GetValue<bool>() == true;
        // An operator's `reconcile rollback`: reversed as onFailure: Rollback would, failed steps or not.
        var rollbackRequested = live["spec"]?["rollback"]?.GetValue<bool>() == true;
        SkipDependentsOfFailures(state);
        // notBefore holds at run time too: a revision applied early starts nothing before it.
        var early = policy.NotBefore is { } notBefore && now < notBefore.UtcDateTime;
        if (!stalled && !suspended && !early && !rollbackRequested)
        {
            await StartEligibleAsync(state, now, events, cancel);
        }
        else if (stalled && policy.OnFailure == FailurePolicy.Rollback || rollbackRequested)
        {
            RunEvents.RollbackStarting(live["status"], state, events);
            await rollback.PassAsync(state, now, events, () => PersistAsync(state, cancel), cancel);
        }

        var conditions = RunStatus.Conditions(state, policy, stalled || rollbackRequested, suspended, revisions, now, rollbackRequested);
        var appliedRevision = revision ?? campaign.Graph.Revision ?? campaign.Graph.Digest;
        var stages = RunStepRecords.Stages(campaign.Graph.Stages.Select(s => s.Id), state);
        var status = RunStatus.Summary(appliedRevision, revisions.LastAttempted ?? appliedRevision, live["metadata"]?["generation"]?.GetValue<long>() ?? 1, conditions, stages);
        RunProgress.Of(campaign, state, stages, now).WriteTo(status);
        status["lastHandledRetry"] = retryHandled;
        RunEvents.Stages(live["status"], stages, events);
        RunEvents.Refusal(live["status"], revisions, events);
        status["lastMissedWindow"] = MissedWindows.Report(campaign, admission, state, live["status"], now, events);
        if (!RunStatus.SameSummaryIgnoringTimes(live["status"], status) || !known.SameSteps(live, state, listed))
        {
            RunStepRecords.Write(status, state);
            live["status"] = status;
            known.Remember(await Home.ApplyStatusAsync(live, cancel), state);
        }
        else
        {
            known.Confirm(live, state);
        }

        foreach (var (reason, warning, message) in events.Recorded)
        {
            await Home.RecordEventAsync(live, warning ? "Warning" : "Normal", reason, message, now, cancel);
        }

        var windowLeft = campaign.Movers.Where(s => s.Kind == StepKind.Migrate && state[s.Id].Phase == StepPhase.Running)
            .Select(s => admission.OpenWindow(s, now)).OfType<WindowOccurrence>().Select(w => (double?)(w.End - now).TotalSeconds).Min();
        return new PassResult(RunStatus.InIdOrder(campaign, state), conditions, events.Lines)
        {
            BytesMoved = campaign.Movers.Where(s => state[s.Id].Phase == StepPhase.Succeeded).Sum(s => s.Predicted.Bytes),
            Recorded = events.Recorded,
            Transitions = events.Transitions,
            WindowSecondsLeft = policy.Windows.Allow.IsEmpty ? null : windowLeft,
        };
    }

    /// <summary>The steps' states from the run's status; steps of an earlier revision that this graph no longer has are dropped.</summary>
    private Dictionary<string, StepState> ReadState(IReadOnlyList<StepState> listed)
    {
        var state = listed
            .Where(s => campaign.HasStep(s.Id) || Conventions.IsRollback(s.Id)).ToDictionary(s => s.Id, StringComparer.Ordinal);
        foreach (var step in campaign.Graph.Steps)
        {
            // Stage and kind follow the current graph (a new revision may re-stage pending steps).
            state[step.Id] = state.TryGetValue(step.Id, out var known)
                ? known with { Stage = step.Stage, Kind = GraphWriter.KindName(step.Kind) }
                : new StepState(step.Id, StepPhase.Pending, Stage: step.Stage, Kind: GraphWriter.KindName(step.Kind));
        }

        return state;
    }

    /// <summary>With onFailure Continue, what depends on a failed step will not run. Stage gates are never skipped: one failed VM must not hold back the others.</summary>
    /// <summary>The message of a step skipped because a step it depends on failed (a retry takes it back).</summary>
    public const string SkippedForFailure = "a step it depends on failed";

    private void SkipDependentsOfFailures(Dictionary<string, StepState> state)
    {
        if (campaign.Policy.OnFailure != FailurePolicy.Continue)
        {
            return;
        }

        bool changed;
        do
        {
            changed = false;
            foreach (var step in campaign.Graph.Steps.Where(s => s.Kind != StepKind.Gate && state[s.Id].Phase == StepPhase.Pending))
            {
                if (step.DependsOn.Any(d => state[d].Phase is StepPhase.Failed or StepPhase.Skipped))
                {
                    state[step.Id] = state[step.Id] with { Phase = StepPhase.Skipped, Message = SkippedForFailure };
                    changed = true;
                }
            }
        }
        while (changed);
    }

    private async Task StartEligibleAsync(Dictionary<string, StepState> state, DateTime now, PassEvents events, CancellationToken cancel)
    {
        var continueOnFailure = campaign.Policy.OnFailure == FailurePolicy.Continue;
        var candidates = campaign.StartOrder
            .Where(s => state[s.Id] is { Phase: StepPhase.Pending } pending && (pending.RetryAfter is not { } retry || retry <= now))
            .Where(s => s.DependsOn.All(d => state[d].IsDone || s.Kind == StepKind.Gate && state[d].Phase == StepPhase.Failed && continueOnFailure))
            .ToList();
        // What moves data now, once per pass (large campaigns have thousands of candidates); grown as steps start.
        var running = campaign.Movers.Where(s => state[s.Id].Phase == StepPhase.Running).ToList();
        foreach (var step in candidates)
        {
            if (step.Kind == StepKind.Gate)
            {
                state[step.Id] = state[step.Id] with { Phase = StepPhase.Succeeded, StartTime = now, EndTime = now };
                continue;
            }

            if (StepAdmission.Moves(step))
            {
                if (!admission.WindowFits(step, now) || !admission.LimitsAllow(step, running))
                {
                    continue;
                }

                running.Add(step);
            }

            // Record the start before creating anything: a restart then finds the step Running and its
            // objects (created under deterministic names) or re-applies them; it never starts it twice.
            state[step.Id] = state[step.Id] with { Phase = StepPhase.Running, Attempts = state[step.Id].Attempts + 1, StartTime = now, EndTime = null, RetryAfter = null, Message = null };
            await PersistAsync(state, cancel);
            await Driver(step).StartAsync(step, cancel);
            events.Add("StepStarted", false, $"started {step.Id} (attempt {state[step.Id].Attempts})");
            events.Step(step, StepTransitionKind.Started);
        }
    }

    private Task PersistAsync(Dictionary<string, StepState> state, CancellationToken cancel) => Home.ApplyStatusAsync(RunStatus.StepsPatch(RunName, state), cancel);

    private StepDriver Driver(GraphStep step) => drivers[campaign.Manifest(step).Action];

    private async Task<StepState> ObserveAsync(GraphStep step, StepState current, DateTime now, PassEvents events, CancellationToken cancel)
    {
        var driver = Driver(step);
        switch (await driver.ObserveAsync(step, cancel))
        {
            case StepOutcome.Succeeded:
                events.Add("StepFinished", false, $"finished {step.Id}");
                events.Step(step, StepTransitionKind.Succeeded, current.StartTime,
                    overranWindow: current.StartTime is { } began && admission.ClosedWindow(step, began, now) is not null);
                return current with { Phase = StepPhase.Succeeded, EndTime = now, Message = null };
            case StepOutcome.Failed:
                return await FailAsync(step, driver, current, now, events, cancel);
            case StepOutcome.Missing:
                // Started, but its objects are gone or not all made yet: make them (idempotent).
                await driver.StartAsync(step, cancel);
                return current;
        }

        // Only a live migration is cancelled when its window closes (the VM keeps running where it was); a cold
        // move or staged cut-over past its window finishes, since stopping it halfway would leave the VM down.
        if (driver.CancelAtWindowClose && current.StartTime is { } started && admission.ClosedWindow(step, started, now) is { } window)
        {
            await driver.CleanUpAsync(step, cancel);
            events.Add("StepCancelled", true, $"cancelled {step.Id}: its window {window.Name} closed");
            events.Step(step, StepTransitionKind.CancelledAtWindowClose, started, overranWindow: true);
            return current with { Phase = StepPhase.Pending, Attempts = current.Attempts - 1, Message = $"cancelled when window {window.Name} closed at {StepState.Time(window.End)}; waits for the next window" };
        }

        return current;
    }

    private async Task<StepState> FailAsync(GraphStep step, StepDriver driver, StepState current, DateTime now, PassEvents events, CancellationToken cancel)
    {
        var reason = await driver.FailureReasonAsync(step, cancel);
        await driver.CleanUpAsync(step, cancel);
        events.Step(step, StepTransitionKind.Failed, current.StartTime);
        if (current.Attempts <= campaign.Policy.Retries)
        {
            var wait = backoff.After(current.Attempts);
            events.Add("StepFailed", true, $"{step.Id} failed ({reason}); retrying after {wait.TotalSeconds} s");
            return current with { Phase = StepPhase.Pending, RetryAfter = now + wait, Message = $"attempt {current.Attempts} failed: {reason}" };
        }

        events.Add("StepFailed", true, $"{step.Id} failed ({reason}); no retries left, onFailure {campaign.Policy.OnFailure}");
        return current with { Phase = StepPhase.Failed, EndTime = now, Message = reason };
    }
}
