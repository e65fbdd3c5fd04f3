using System.Globalization;
using System.Text.RegularExpressions;
using Reconcile.Reconciler.Metrics;

namespace Reconcile.Compiler.Tests.Operations;

/// <summary>The reconciler's /metrics: what a pass counts, in Prometheus' text format, and no stale series.</summary>
public sealed partial class ReconcilerMetricsTests
{
    private const string Hop = "plan=\"fra-wave\",from=\"fra-1\",to=\"sgp-1\"";

    [Fact]
    public void A_pass_is_counted_by_plan_and_hop_with_durations_against_the_prediction()
    {
        var leading = true;
        var metrics = new ReconcilerMetrics(() => leading);
        metrics.Observe(ServedMetrics.BusyPass(), TimeSpan.FromMilliseconds(40));
        metrics.LoopApiError();
        var text = ServedMetrics.Export(metrics);

        Assert.Equal(1, Sample(text, $"reconcile_migrations_started_total{{{Hop}}}"));
        Assert.Equal(1, Sample(text, $"reconcile_migrations_succeeded_total{{{Hop}}}"));
        Assert.Equal(1, Sample(text, $"reconcile_migrations_failed_total{{{Hop}}}"));
        Assert.Equal(1, Sample(text, $"reconcile_window_overruns_total{{{Hop}}}"));
        Assert.Equal(1, Sample(text, "reconcile_windows_missed_total{plan=\"fra-wave\"}"));
        // The migration's 1 MB and the replication's 5 MB, as predicted.
        Assert.Equal(6_000_000, Sample(text, $"reconcile_moved_bytes_total{{{Hop}}}"));
        // Three attempts of the migration ended (failed after 30 s, cancelled after 60 s, finished after 120 s).
        Assert.Equal(3, Sample(text, $"reconcile_step_duration_seconds_count{{{Hop},kind=\"migrate\"}}"));
        Assert.Equal(210, Sample(text, $"reconcile_step_duration_seconds_sum{{{Hop},kind=\"migrate\"}}"));
        // Finished in 120 s against 100 s predicted: ratio 1.2, above the 1.1 bucket, within 1.25.
        Assert.Equal(0, Sample(text, "reconcile_step_duration_ratio_bucket{plan=\"fra-wave\",kind=\"migrate\",le=\"1.1\"}"));
        Assert.Equal(1, Sample(text, "reconcile_step_duration_ratio_bucket{plan=\"fra-wave\",kind=\"migrate\",le=\"1.25\"}"));
        Assert.Equal(1, Sample(text, "reconcile_apply_errors_total{during=\"revision\",plan=\"\"}"));
        Assert.Equal(1, Sample(text, "reconcile_apply_errors_total{during=\"pass\",plan=\"other-wave\"}"));
        Assert.Equal(1, Sample(text, "reconcile_apply_errors_total{during=\"loop\",plan=\"\"}"));
        Assert.Equal(1, Sample(text, "reconcile_fetch_errors_total"));
        Assert.Equal(1, Sample(text, "reconcile_pass_duration_seconds_count"));
        Assert.Equal(1, Sample(text, "reconcile_pass_duration_seconds_bucket{le=\"0.05\"}"));
        Assert.Equal(1, Sample(text, "reconcile_steps{plan=\"fra-wave\",phase=\"Pending\"}"));
        Assert.Equal(0, Sample(text, "reconcile_condition{plan=\"fra-wave\",type=\"Stalled\"}"));
        Assert.Equal(1800, Sample(text, "reconcile_window_seconds_left{plan=\"fra-wave\"}"));
        Assert.Equal(1, Sample(text, $"reconcile_revision_info{{revision=\"{new string('a', 40)}\"}}"));
        Assert.Equal(1, Sample(text, "reconcile_leader"));
        // Process metrics, as every exporter serves them.
        Assert.True(Sample(text, "process_cpu_seconds_total") > 0);
        Assert.True(Sample(text, "process_working_set_bytes") > 0);

        leading = false;
        Assert.Equal(0, Sample(ServedMetrics.Export(metrics), "reconcile_leader"));
    }

    [Fact]
    public void Every_series_has_help_and_type_and_label_values_are_escaped()
    {
        var metrics = new ReconcilerMetrics(() => true);
        metrics.Observe(ServedMetrics.BusyPass("we\"ird\\plan\nname"), TimeSpan.FromSeconds(1));
        var text = ServedMetrics.Export(metrics);

        var families = FamilyLine().Matches(text).Select(m => (m.Groups[2].Value, m.Groups[1].Value)).ToList();
        Assert.All(text.Split('\n').Where(l => l.Length > 0 && l[0] != '#'), line =>
        {
            var name = Regex.Match(line, "^[a-zA-Z_:][a-zA-Z0-9_:]*").Value;
            Assert.Contains(families, f => f.Item2 == "TYPE" && (name == f.Item1 || name.StartsWith(f.Item1 + "_", StringComparison.Ordinal)));
            Assert.Contains(families, f => f.Item2 == "HELP" && (name == f.Item1 || name.StartsWith(f.Item1 + "_", StringComparison.Ordinal)));
        });
        Assert.Contains("reconcile_migrations_started_total{plan=\"we\\\"ird\\\\plan\\nname\",from=\"fra-1\",to=\"sgp-1\"} 1", text);
    }

    [Fact]
    public void A_plan_that_leaves_the_revision_leaves_no_gauges_behind()
    {
        var metrics = new ReconcilerMetrics(() => true);
        metrics.Observe(ServedMetrics.BusyPass(), TimeSpan.FromSeconds(1));
        metrics.Observe(ServedMetrics.BusyPass() with { Plans = new Dictionary<string, Reconciler.Execution.PassResult>(), Revision = new string('b', 40) }, TimeSpan.FromSeconds(1));
        var text = ServedMetrics.Export(metrics);

        Assert.DoesNotContain("reconcile_steps{plan=\"fra-wave\"", text);
        Assert.DoesNotContain("reconcile_window_seconds_left{plan=\"fra-wave\"", text);
        Assert.DoesNotContain(new string('a', 40), text);
        // Counters keep what happened (rate() and increase() expect that).
        Assert.Equal(1, Sample(text, $"reconcile_migrations_succeeded_total{{{Hop}}}"));
    }

    private static double Sample(string text, string series)
    {
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no sample {series} in\n{text}");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>"# HELP name ..." and "# TYPE name ...": group 1 the kind of line, group 2 the family.</summary>
    [GeneratedRegex(@"^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ", RegexOptions.Multiline)]
    private static partial Regex FamilyLine();
}
