using Prometheus;
using Reconcile.Compiler.Planning;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Reconciler.Metrics;

/// <summary>
/// The reconciler's Prometheus metrics (prometheus-net, one registry per process, exposition format
/// 0.0.4 with HELP, TYPE and escaped labels). Counters and histograms count what passes did (steps
/// started, finished and failed by plan and hop, bytes moved, attempt durations against the compiled
/// prediction, window overruns, API and fetch errors); gauges say where each campaign stands, read from
/// its MigrationRun, so they are right again after a restart while counters start over (as Prometheus'
/// rate() and increase() expect). docs/reconciler.md lists every series and deploy/grafana-dashboard.json
/// draws them.
/// </summary>
public sealed class ReconcilerMetrics
{
    private static readonly string[] Hop = ["plan", "from", "to"];

    private readonly Counter migrationsStarted;
    private readonly Counter migrationsSucceeded;
    private readonly Counter migrationsFailed;
    private readonly Counter bytesMoved;
    private readonly Histogram stepDuration;
    private readonly Histogram stepDurationRatio;
    private readonly Counter windowOverruns;
    private readonly Counter windowsMissed;
    private readonly Counter apiErrors;
    private readonly Counter fetchErrors;
    private readonly Histogram passDuration;
    private readonly Gauge leader;
    private readonly Gauge revisionInfo;
    private readonly Gauge steps;
    private readonly Gauge conditions;
    private readonly Gauge predictedBytesDone;
    private readonly Gauge windowSecondsLeft;

    public ReconcilerMetrics(Func<bool> leading)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        // process_* (CPU, memory, open files, start time) and dotnet_* (GC, threads), as every .NET exporter serves them.
        DotNetStats.Register(Registry);
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        migrationsStarted = factory.CreateCounter("reconcile_migrations_started_total", "Migration attempts started, by plan and hop (source and target cluster).", Hop);
        migrationsSucceeded = factory.CreateCounter("reconcile_migrations_succeeded_total", "Migrations finished, by plan and hop.", Hop);
        migrationsFailed = factory.CreateCounter("reconcile_migrations_failed_total", "Migration attempts that failed (retried or, without retries left, failed for good), by plan and hop.", Hop);
        bytesMoved = factory.CreateCounter("reconcile_moved_bytes_total", "Bytes the finished migrations and storage replications moved, as the compiler predicted them, by plan and hop.", Hop);
        stepDuration = factory.CreateHistogram("reconcile_step_duration_seconds", "How long finished and failed attempts of data-moving steps ran, by plan, hop and step kind.",
            [.. Hop, "kind"], new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(5, 2, 14) });
        stepDurationRatio = factory.CreateHistogram("reconcile_step_duration_ratio", "Finished data-moving steps' duration over the compiler's prediction (1 is on time, 2 twice as long), by plan and step kind.",
            ["plan", "kind"], new HistogramConfiguration { Buckets = [0.25, 0.5, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2, 3, 5] });
        windowOverruns = factory.CreateCounter("reconcile_window_overruns_total", "Attempts still running when their maintenance window closed (a live migration is cancelled, a cold move or cut-over finishes late), by plan and hop.", Hop);
        windowsMissed = factory.CreateCounter("reconcile_windows_missed_total", "Allow windows that closed with data-moving steps planned in them not started (the WindowMissed Events), by plan.", ["plan"]);
        apiErrors = factory.CreateCounter("reconcile_apply_errors_total", "Cluster API errors that held back work: applying a new revision (during=\"revision\"), a plan's pass (during=\"pass\", by plan), or the loop itself (during=\"loop\").", ["during", "plan"]);
        fetchErrors = factory.CreateCounter("reconcile_fetch_errors_total", "Fetches of the Git repository that failed (remote unreachable or credentials refused).");
        passDuration = factory.CreateHistogram("reconcile_pass_duration_seconds", "Wall time of the reconciler's passes.",
            new HistogramConfiguration { Buckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });
        leader = factory.CreateGauge("reconcile_leader", "1 while this replica holds the leader Lease (or runs without leader election), else 0.");
        revisionInfo = factory.CreateGauge("reconcile_revision_info", "The Git revision in force, as a label (value 1).", ["revision"]);
        steps = factory.CreateGauge("reconcile_steps", "Steps of each plan's MigrationRun by phase.", ["plan", "phase"]);
        conditions = factory.CreateGauge("reconcile_condition", "The MigrationRun's conditions (Ready, Reconciling, Stalled): 1 when True.", ["plan", "type"]);
        predictedBytesDone = factory.CreateGauge("reconcile_bytes_moved", "Predicted bytes of the data-moving steps the MigrationRun records as finished (survives restarts).", ["plan"]);
        windowSecondsLeft = factory.CreateGauge("reconcile_window_seconds_left", "Seconds until the window of the running migrations closes (the soonest); absent when none runs in a window.", ["plan"]);
        Registry.AddBeforeCollectCallback(() => leader.Set(leading() ? 1 : 0));
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Counts what a pass did and sets the gauges to where the campaigns stand after it.</summary>
    public void Observe(LoopStatus status, TimeSpan took)
    {
        passDuration.Observe(took.TotalSeconds);
        if (status.FetchFailed)
        {
            fetchErrors.Inc();
        }

        if (status.ApplyFailed)
        {
            apiErrors.WithLabels("revision", "").Inc();
        }

        foreach (var plan in status.HeldBack)
        {
            apiErrors.WithLabels("pass", plan).Inc();
        }

        foreach (var (plan, pass) in status.Plans)
        {
            foreach (var transition in pass.Transitions)
            {
                Count(plan, transition);
            }

            windowsMissed.WithLabels(plan).Inc(pass.Recorded.Count(e => e.Reason == "WindowMissed"));
        }

        SetGauges(status);
    }

    /// <summary>A cluster API error outside any plan's pass (fetching, drift repair): the pass is tried again.</summary>
    public void LoopApiError() => apiErrors.WithLabels("loop", "").Inc();

    public Task ExportAsync(Stream to, CancellationToken cancel) => Registry.CollectAndExportAsTextAsync(to, cancel);

    private void Count(string plan, StepTransition transition)
    {
        var step = transition.Step;
        if (step.From is null || step.To is null || !StepAdmission.Moves(step))
        {
            return;
        }

        string[] hop = [plan, step.From.Cluster, step.To.Cluster];
        var kind = GraphWriter.KindName(step.Kind);
        var migration = step.Kind == StepKind.Migrate;
        switch (transition.Kind)
        {
            case StepTransitionKind.Started when migration:
                migrationsStarted.WithLabels(hop).Inc();
                break;
            case StepTransitionKind.Succeeded:
                if (migration)
                {
                    migrationsSucceeded.WithLabels(hop).Inc();
                }

                bytesMoved.WithLabels(hop).Inc(step.Predicted.Bytes);
                if (transition.Seconds is { } seconds && step.Predicted.Seconds > 0)
                {
                    stepDurationRatio.WithLabels(plan, kind).Observe(seconds / step.Predicted.Seconds);
                }

                break;
            case StepTransitionKind.Failed when migration:
                migrationsFailed.WithLabels(hop).Inc();
                break;
        }

        if (transition.Kind != StepTransitionKind.Started && transition.Seconds is { } ran)
        {
            stepDuration.WithLabels([.. hop, kind]).Observe(ran);
        }

        if (transition.OverranWindow)
        {
            windowOverruns.WithLabels(hop).Inc();
        }
    }

    private void SetGauges(LoopStatus status)
    {
        foreach (var labels in revisionInfo.GetAllLabelValues().Where(l => l[0] != status.Revision).ToList())
        {
            revisionInfo.RemoveLabelled(labels);
        }

        if (status.Revision is { } revision)
        {
            revisionInfo.WithLabels(revision).Set(1);
        }

        // A plan that left the revision (or was held back) keeps no stale series; held-back plans come back next pass.
        foreach (var gauge in new[] { steps, conditions, predictedBytesDone, windowSecondsLeft })
        {
            foreach (var labels in gauge.GetAllLabelValues().Where(l => !status.Plans.ContainsKey(l[0])).ToList())
            {
                gauge.RemoveLabelled(labels);
            }
        }

        foreach (var (plan, pass) in status.Plans)
        {
            // One walk over the steps (20,000 at 10,000 VMs), not one per phase; every phase is set, 0 included.
            var byPhase = pass.Steps.CountBy(s => s.Phase).ToDictionary();
            foreach (var phase in Enum.GetValues<StepPhase>())
            {
                steps.WithLabels(plan, phase.ToString()).Set(byPhase.GetValueOrDefault(phase));
            }

            foreach (var condition in pass.Conditions)
            {
                conditions.WithLabels(plan, condition.Type).Set(condition.Status ? 1 : 0);
            }

            predictedBytesDone.WithLabels(plan).Set(pass.BytesMoved);
            if (pass.WindowSecondsLeft is { } left)
            {
                windowSecondsLeft.WithLabels(plan).Set(left);
            }
            else
            {
                windowSecondsLeft.RemoveLabelled(plan);
            }
        }
    }
}
