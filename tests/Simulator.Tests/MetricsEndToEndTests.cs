using System.Text.Json.Nodes;
using Reconcile.Cli;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// A running reconciler's /metrics scraped by a real Prometheus (Debian's, on 127.0.0.1): the counters
/// of a campaign arrive by plan and hop, and every query of deploy/grafana-dashboard.json is PromQL that
/// Prometheus evaluates, the campaign's panels with data.
/// </summary>
public sealed class MetricsEndToEndTests
{
    [SkippableFact]
    public async Task Prometheus_scrapes_the_campaign_and_evaluates_every_dashboard_query()
    {
        RealPrometheus.Binary();
        using var server = new GitServer();
        server.CopyExample("node-drain");
        server.Commit("wave");
        await using var sim = await RunningSimulator.Start("node-drain", speed: 30);
        var port = Loopback.FreePort();
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => Program.Run(["run", "--repo", server.Url, "--path", "plans/node-drain", "--kubeconfig", sim.Kubeconfig, "--cache", Path.Combine(server.Scratch, "cache"),
            "--pass-interval", "200ms", "--interval", "5s", "--metrics-address", $"127.0.0.1:{port}"], new IOContext(TextWriter.Null, TextWriter.Null, Repository.Root),
            () => sim.Host.World.Clock.Now, stop.Token));
        await using var prometheus = await RealPrometheus.Start(new Uri($"http://127.0.0.1:{port}/"));

        const string Hop = "plan=\"ber-1-firmware-wave\",from=\"ber-1\",to=\"ber-1\"";
        await prometheus.WaitFor(async () => await prometheus.Scalar($"reconcile_migrations_succeeded_total{{{Hop}}}") >= 1, "a finished migration scraped");
        Assert.True(await prometheus.Scalar($"reconcile_migrations_started_total{{{Hop}}}") >= 1);
        Assert.True(await prometheus.Scalar($"reconcile_moved_bytes_total{{{Hop}}}") > 0);
        Assert.True(await prometheus.Scalar($"sum(reconcile_step_duration_seconds_count{{{Hop},kind=\"migrate\"}})") >= 1);
        Assert.True(await prometheus.Scalar("sum(reconcile_step_duration_ratio_count{plan=\"ber-1-firmware-wave\"})") >= 1);
        Assert.True(await prometheus.Scalar("process_cpu_seconds_total") > 0);
        Assert.Equal(1, await prometheus.Scalar("reconcile_leader"));

        // rate() and increase() need two samples in their range: a few more scrapes.
        await prometheus.WaitFor(async () => await prometheus.Scalar("count_over_time(reconcile_leader[1m])") >= 4, "scraped four times");

        var dashboard = JsonNode.Parse(File.ReadAllText(Repository.PathOf("deploy", "grafana-dashboard.json")))!;
        var queries = dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]?.AsArray() ?? []).Select(t => t!["expr"]!.GetValue<string>()).ToList();
        Assert.NotEmpty(queries);
        var empty = new List<string>();
        foreach (var query in queries)
        {
            // Grafana's variables as a dashboard showing every plan would set them.
            var promql = query.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$plan", ".*", StringComparison.Ordinal);
            var (status, results) = await prometheus.Query(promql);
            Assert.True(status == "success", $"{promql}: {status}");
            if (results == 0)
            {
                empty.Add(promql);
            }
        }

        // Error and overrun panels stay empty on a healthy campaign; progress, migrations and the process do not.
        Assert.True(empty.Count <= queries.Count / 2, $"no data:\n{string.Join("\n", empty)}");
        var plans = await prometheus.Query("group by (plan) (reconcile_steps)");
        Assert.Equal(1, plans.Results);

        await stop.CancelAsync();
        Assert.Equal(0, await running);
    }
}
