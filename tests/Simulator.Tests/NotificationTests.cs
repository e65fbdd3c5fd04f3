using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Reconcile.Reconciler.Notifications;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// The notification sink against real HTTP receivers on 127.0.0.1: each format's body, the per-sink
/// filter, retries after a 5xx, a receiver that is down (given up after its attempts, never in the way),
/// and a receiver that hangs (posting still returns at once).
/// </summary>
public sealed class NotificationTests
{
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication app;

        public ConcurrentQueue<(string Path, string ContentType, string Body)> Received { get; } = new();

        /// <summary>Status codes to answer with, in turn; 200 once they run out.</summary>
        public ConcurrentQueue<int> Answers { get; } = new();

        /// <summary>When set, requests wait for it before being answered.</summary>
        public TaskCompletionSource? Hold { get; set; }

        private Receiver(WebApplication app) => this.app = app;

        public string Url(string path) => app.Urls.First() + path;

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.Run(async context =>
            {
                var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
                receiver.Received.Enqueue((context.Request.Path, context.Request.ContentType ?? "", body));
                if (receiver.Hold is { } hold)
                {
                    await hold.Task;
                }

                context.Response.StatusCode = receiver.Answers.TryDequeue(out var code) ? code : 200;
            });
            await app.StartAsync();
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            Hold?.TrySetResult();
            await app.DisposeAsync();
        }
    }

    private static readonly Notice Finished = new("fra-to-sgp", "StageFinished", false, "stage stage-2 finished (40 steps)", new DateTime(2026, 12, 1, 23, 5, 0, DateTimeKind.Utc), "0123456789abcdef");
    private static readonly Notice Failed = new("fra-to-sgp", "StepFailed", true, "migrate-payments.db-0 failed (injected fault)", new DateTime(2026, 12, 1, 23, 6, 0, DateTimeKind.Utc), "0123456789abcdef");

    private static async Task Until(Func<bool> done)
    {
        for (var i = 0; i < 300 && !done(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(done());
    }

    [Fact]
    public async Task Each_format_reaches_its_receiver_and_a_sink_gets_only_the_events_it_wants()
    {
        await using var receiver = await Receiver.StartAsync();
        var (sinks, problem) = NotificationConfig.Parse($$"""
            sinks:
              - {name: all, url: "{{receiver.Url("/generic")}}"}
              - {name: chat, url: "{{receiver.Url("/slack")}}", format: slack, events: [StepFailed]}
              - {name: bus, url: "{{receiver.Url("/events")}}", format: cloudevents, events: [StageFinished]}
            """);
        Assert.Null(problem);
        await using var sender = new NotificationSender(sinks, _ => { }, firstDelay: TimeSpan.FromMilliseconds(10));
        sender.Post(Finished);
        sender.Post(Failed);
        await Until(() => sender.Delivered == 4);

        var received = receiver.Received.ToList();
        Assert.Equal(2, received.Count(r => r.Path == "/generic"));
        var generic = JsonNode.Parse(received.First(r => r.Path == "/generic" && r.Body.Contains("StageFinished", StringComparison.Ordinal)).Body)!;
        Assert.Equal("Notification", generic["kind"]!.GetValue<string>());
        Assert.Equal("fra-to-sgp", generic["plan"]!.GetValue<string>());
        Assert.Equal("Normal", generic["type"]!.GetValue<string>());
        Assert.Equal("2026-12-01T23:05:00Z", generic["time"]!.GetValue<string>());
        Assert.Equal("0123456789abcdef", generic["revision"]!.GetValue<string>());

        var slack = Assert.Single(received, r => r.Path == "/slack");
        Assert.StartsWith("application/json", slack.ContentType, StringComparison.Ordinal);
        Assert.Equal(":warning: [fra-to-sgp] StepFailed: migrate-payments.db-0 failed (injected fault)", JsonNode.Parse(slack.Body)!["text"]!.GetValue<string>());

        var cloud = Assert.Single(received, r => r.Path == "/events");
        Assert.StartsWith("application/cloudevents+json", cloud.ContentType, StringComparison.Ordinal);
        var cloudEvent = JsonNode.Parse(cloud.Body)!;
        Assert.Equal("1.0", cloudEvent["specversion"]!.GetValue<string>());
        Assert.Equal("dev.reconcile.migrationrun.StageFinished", cloudEvent["type"]!.GetValue<string>());
        Assert.Equal("/reconcile/plans/fra-to-sgp", cloudEvent["source"]!.GetValue<string>());
        Assert.Equal(32, cloudEvent["id"]!.GetValue<string>().Length);
        Assert.Equal("stage stage-2 finished (40 steps)", cloudEvent["data"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_and_one_that_is_down_or_hangs_never_holds_up_the_poster()
    {
        await using var flaky = await Receiver.StartAsync();
        flaky.Answers.Enqueue(503);
        flaky.Answers.Enqueue(500);
        using var down = new RefusingPort();
        var dropped = new ConcurrentQueue<string>();
        var sinks = NotificationConfig.Parse($$"""
            sinks:
              - {name: flaky, url: "{{flaky.Url("/")}}"}
              - {name: down, url: "http://127.0.0.1:{{down.Port}}/hook"}
            """).Sinks;
        await using (var sender = new NotificationSender(sinks, dropped.Enqueue, attempts: 3, firstDelay: TimeSpan.FromMilliseconds(20)))
        {
            sender.Post(Finished);
            await Until(() => sender.Delivered == 1 && sender.Dropped == 1);
            Assert.Equal(3, flaky.Received.Count); // 503, 500, then 200
            Assert.Contains(dropped, m => m.Contains("to down dropped after 3 attempts", StringComparison.Ordinal));
        }

        // A receiver that accepts and never answers: posting returns at once, every time.
        await using var hung = await Receiver.StartAsync();
        hung.Hold = new TaskCompletionSource();
        await using var slow = new NotificationSender(NotificationConfig.Parse($"sinks: [{{url: \"{hung.Url("/")}\"}}]").Sinks, _ => { }, timeout: TimeSpan.FromMinutes(5));
        var posting = Task.Run(() =>
        {
            for (var i = 0; i < 2 * NotificationSender.QueueLength; i++)
            {
                slow.Post(Finished with { Message = $"notice {i}" });
            }
        });
        await posting.WaitAsync(TimeSpan.FromSeconds(30));
        await Until(() => !hung.Received.IsEmpty);
        Assert.Equal(0, slow.Delivered);
        hung.Hold.SetResult();
    }

    [Fact]
    public async Task Run_posts_the_Events_of_its_passes_to_the_configured_sinks()
    {
        await using var receiver = await Receiver.StartAsync();
        using var server = new GitServer();
        await using var sim = await RunningSimulator.Start("node-drain");
        server.CopyExample("node-drain");
        server.Commit("wave");
        var config = Path.Combine(sim.Directory, "notifications.yaml");
        File.WriteAllText(config, $$"""
            sinks:
              - {name: ops, url: "{{receiver.Url("/hook")}}", events: [StageStarted, StepStarted]}
            """);
        var (exit, log) = NodeDrainFromGit.RunOnce(sim, server, "--notifications", config);
        Assert.True(exit == 0, log);
        var bodies = receiver.Received.Select(r => JsonNode.Parse(r.Body)!).ToList();
        Assert.Contains(bodies, b => b["reason"]!.GetValue<string>() == "StageStarted" && b["plan"]!.GetValue<string>() == "ber-1-firmware-wave");
        Assert.Contains(bodies, b => b["reason"]!.GetValue<string>() == "StepStarted");
        Assert.All(bodies, b => Assert.Contains(b["reason"]!.GetValue<string>(), new[] { "StageStarted", "StepStarted" }));

        var (refused, error) = NodeDrainFromGit.RunOnce(sim, server, "--notifications", Path.Combine(sim.Directory, "missing.yaml"));
        Assert.True(refused == 2, error);
    }

    [Fact]
    public void A_config_that_names_no_usable_url_or_format_is_refused_with_the_reason()
    {
        Assert.Contains("url must be an http", NotificationConfig.Parse("sinks: [{name: x, url: ftp://example.org}]").Problem);
        Assert.Contains("format must be generic, slack or cloudevents", NotificationConfig.Parse("sinks: [{name: x, url: 'https://example.org', format: teams}]").Problem);
        Assert.Contains("not a notification config", NotificationConfig.Parse("sinks: [{name: x").Problem);
        Assert.Empty(NotificationConfig.Parse("").Sinks);
    }
}
