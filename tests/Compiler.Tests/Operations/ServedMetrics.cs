using System.Text;
using System.Text.RegularExpressions;
using Reconcile.Compiler.Execution;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Reconciler;
using Reconcile.Reconciler.Execution;
using Reconcile.Reconciler.Metrics;

namespace Reconcile.Compiler.Tests.Operations;

/// <summary>
/// What the reconciler's /metrics serves once every series has a sample: a pass in which a migration
/// started, finished late, failed and overran its window, a replication finished, a fetch and two
/// applies failed. Alerts and the Grafana dashboard may name only these series.
/// </summary>
internal static partial class ServedMetrics
{
    public const string Plan = "fra-wave";

    public static GraphStep Step(string id, StepKind kind, long predictedSeconds = 100, long bytes = 1_000_000) =>
        new(id, kind, "db-0", "move", new Endpoint("fra-1", "w1"), new Endpoint("sgp-1", null), "fra-1~sgp-1", "1", 0, [],
            DateTime.UnixEpoch, DateTime.UnixEpoch.AddSeconds(predictedSeconds), 1_000_000_000, new Predicted(predictedSeconds, bytes, 3, 100, true));

    /// <summary>A pass that touched every counter and histogram.</summary>
    public static LoopStatus BusyPass(string plan = Plan)
    {
        var migrate = Step("db-0/migrate", StepKind.Migrate);
        var replicate = Step("db-0/replicate", StepKind.ReplicateStorage, bytes: 5_000_000);
        var pass = new PassResult(
            [new StepState("db-0/migrate", StepPhase.Succeeded), new StepState("db-0/replicate", StepPhase.Succeeded), new StepState("db-1/migrate", StepPhase.Pending)],
            [new Condition("Ready", true, "Succeeded", "", DateTime.UnixEpoch), new Condition("Stalled", false, "None", "", DateTime.UnixEpoch)], [])
        {
            BytesMoved = 6_000_000,
            Recorded = [("WindowMissed", true, "window nightly closed with 1 step(s) planned in it not started")],
            WindowSecondsLeft = 1800,
            Transitions =
            [
                new StepTransition(migrate, StepTransitionKind.Started, null, false),
                new StepTransition(migrate, StepTransitionKind.Failed, 30, false),
                new StepTransition(migrate, StepTransitionKind.CancelledAtWindowClose, 60, true),
                new StepTransition(migrate, StepTransitionKind.Succeeded, 120, false),
                new StepTransition(replicate, StepTransitionKind.Succeeded, 50, false),
            ],
        };
        return new LoopStatus(new string('a', 40), null, [], new Dictionary<string, PassResult> { [plan] = pass }, null)
        {
            FetchFailed = true,
            ApplyFailed = true,
            HeldBack = ["other-wave"],
        };
    }

    public static string Export(ReconcilerMetrics metrics)
    {
        using var stream = new MemoryStream();
        metrics.ExportAsync(stream, CancellationToken.None).GetAwaiter().GetResult();
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Every series name served (a histogram's _bucket, _sum and _count), after a busy pass.</summary>
    public static IReadOnlySet<string> Names()
    {
        var metrics = new ReconcilerMetrics(() => true);
        metrics.Observe(BusyPass(), TimeSpan.FromMilliseconds(40));
        metrics.LoopApiError();
        return Export(metrics).Split('\n').Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => SampleName().Match(l).Value).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Metric names a PromQL expression reads (words followed by a selector, a range or an operator, not functions).</summary>
    public static IEnumerable<string> NamesIn(string expression) =>
        SeriesInExpression().Matches(StringsOut().Replace(expression, "\"\"")).Select(m => m.Groups[1].Value)
            .Where(name => name.StartsWith("reconcile_", StringComparison.Ordinal) || name.StartsWith("process_", StringComparison.Ordinal) || name.StartsWith("dotnet_", StringComparison.Ordinal));

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex SampleName();

    [GeneratedRegex(@"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")]
    private static partial Regex SeriesInExpression();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringsOut();
}
