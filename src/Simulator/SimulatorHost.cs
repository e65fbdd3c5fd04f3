using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Reconcile.Compiler.Model;
using Reconcile.Simulator.Api;
using Reconcile.Simulator.KubeVirt;
using Reconcile.Simulator.World;

namespace Reconcile.Simulator;

/// <summary>What the simulator is started with.</summary>
/// <param name="HistoryLimit">Changes each cluster keeps for watches to resume from; older resourceVersions are 410 Gone.</param>
/// <param name="GuestBootTime">How long a guest that the Inventory gives no bootTime takes to boot (the plan's strategy.bootTime when a plan is simulated).</param>
public sealed record SimulatorOptions(DateTime Start, double Speed = 60, int Port = 0, int Seed = 1, IReadOnlyList<JsonObject>? Faults = null, int HistoryLimit = 5000, TimeSpan? GuestBootTime = null);

/// <summary>
/// Serves every cluster of a simulated world over HTTP on 127.0.0.1 (never another interface):
/// cluster C's Kubernetes API under /clusters/C, plus /simulator/time, /simulator/faults and
/// /metrics. A test double — it says so in /version — and the engine of `reconcile simulator serve`.
/// </summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly CancellationTokenSource stop = new();
    private readonly DateTimeOffset startedAt = DateTimeOffset.UtcNow;
    private Task? ticker;

    private SimulatorHost(WebApplication app, SimulatedWorld world, MigrationEngine engine, Faults faults)
    {
        this.app = app;
        World = world;
        Engine = engine;
        Faults = faults;
    }

    public SimulatedWorld World { get; }

    public MigrationEngine Engine { get; }

    public Faults Faults { get; }

    /// <summary>The last exception the migration engine threw on its timer, for tests and /simulator/time.</summary>
    public Exception? LastError { get; private set; }

    /// <summary>http://127.0.0.1:PORT, known once started.</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    public Uri ClusterAddress(string cluster) => new(BaseAddress, $"clusters/{cluster}");

    public static async Task<SimulatorHost> StartAsync(Topology topology, IEnumerable<Inventory> inventories, SimulatorOptions options)
    {
        var clock = new SimulatedClock(options.Start, options.Speed);
        var world = new SimulatedWorld(topology, inventories, clock, options.HistoryLimit) { DefaultBootTime = options.GuestBootTime ?? SimulatedWorld.GuestBootFallback };
        var faults = new Faults();
        var engine = new MigrationEngine(world, faults, options.Seed);
        faults.Immediate += fault =>
        {
            if (fault["type"]?.GetValue<string>() == "drop-watches")
            {
                var cluster = fault["cluster"]?.GetValue<string>() ?? "*";
                foreach (var c in world.Clusters.Values.Where(c => cluster == "*" || c.Name == cluster))
                {
                    c.Store.DropWatches();
                }
            }
        };
        foreach (var fault in options.Faults ?? [])
        {
            if (faults.Add(fault, clock.Now) is { } problem)
            {
                throw new ArgumentException(problem);
            }
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        var app = builder.Build();
        var host = new SimulatorHost(app, world, engine, faults);
        host.Map();
        await app.StartAsync();
        var address = app.Urls.First();
        host.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        host.ticker = host.Tick(host.stop.Token);
        return host;
    }

    private void Map()
    {
        app.Map("/clusters/{cluster}/{**path}", async (HttpContext http, string cluster, string? path) =>
        {
            if (!World.Clusters.TryGetValue(cluster, out var target))
            {
                await KubernetesApi.Write(http, 404, ApiError.Status(404, "NotFound", $"no simulated cluster \"{cluster}\""));
                return;
            }

            if (Faults.Latency(cluster) is { Ticks: > 0 } latency)
            {
                await Task.Delay(latency, http.RequestAborted);
            }

            if (Faults.Forbidden(cluster, path ?? "", http.Request.Method) is { } forbidden)
            {
                await KubernetesApi.Write(http, 403, forbidden.ToStatus());
                return;
            }

            if (Faults.NextApiError(cluster, http.Request.Method) is { } injected)
            {
                if (injected.Code == 429)
                {
                    http.Response.Headers.RetryAfter = "1";
                }

                await KubernetesApi.Write(http, injected.Code, injected.ToStatus());
                return;
            }

            try
            {
                // No engine tick here: the timer (and, with a frozen clock, whoever moves time) drives it;
                // ticking on every request made each API call scan every cluster.
                await target.Api.Handle(http, path ?? "", http.RequestAborted);
            }
            catch (Exception e) when (e is not OperationCanceledException && !http.Response.HasStarted)
            {
                LastError = e;
                // A simulator bug answers as an API server would: a 500 Status naming it.
                await KubernetesApi.Write(http, 500, ApiError.Status(500, "InternalError", $"simulator error: {e.GetType().Name}: {e.Message}"));
            }
        });
        app.MapGet("/simulator/time", () => Results.Json(new { now = Iso(World.Clock.Now), speed = World.Clock.Speed, lastError = LastError?.ToString() }));
        app.MapPost("/simulator/time", async (HttpContext http) =>
        {
            var body = await JsonNode.ParseAsync(http.Request.Body) as JsonObject;
            if (body?["advance"]?.GetValue<string>() is { } text && Quantities.Duration(text) is { } by)
            {
                World.Clock.Advance(by);
                Engine.Tick();
                return Results.Json(new { now = Iso(World.Clock.Now), speed = World.Clock.Speed });
            }

            return Results.BadRequest(new { message = "expected {\"advance\": \"1h\"}" });
        });
        app.MapGet("/simulator/faults", () => Results.Text(Faults.Active().ToJsonString(), "application/json"));
        app.MapDelete("/simulator/faults", () =>
        {
            Faults.Clear();
            return Results.NoContent();
        });
        app.MapPost("/simulator/faults", async (HttpContext http) =>
        {
            if (await JsonNode.ParseAsync(http.Request.Body) is not JsonObject fault)
            {
                return Results.BadRequest(new { message = "a fault is a JSON object with a \"type\"" });
            }

            return Faults.Add(fault, World.Clock.Now) is { } problem ? Results.BadRequest(new { message = problem }) : Results.Accepted();
        });
        app.MapGet("/metrics", () => Results.Text(Metrics(), "text/plain; version=0.0.4"));
        app.MapGet("/", () => Results.Json(new
        {
            simulator = "Reconcile simulator: a test double of the Kubernetes API and KubeVirt migrations, not a real cluster",
            clusters = World.Clusters.Keys.Select(c => $"/clusters/{c}"),
        }));
    }

    /// <summary>Prometheus text format; every sample labelled with its cluster.</summary>
    public string Metrics()
    {
        var text = new StringBuilder();
        text.Append("# HELP reconcile_simulator_time_seconds Simulated now, Unix seconds.\n# TYPE reconcile_simulator_time_seconds gauge\n");
        text.Append($"reconcile_simulator_time_seconds {new DateTimeOffset(World.Clock.Now).ToUnixTimeSeconds()}\n");
        // The guests' write counters advance with wall-clock time and carry the instant they were read
        // at, so a rate Prometheus computes does not depend on when its scrape was answered.
        var wall = DateTimeOffset.UtcNow;
        var elapsed = (wall - startedAt).TotalSeconds;
        foreach (var group in Engine.Samples().Concat(GuestMetrics.Samples(World, elapsed)).GroupBy(s => s.Metric))
        {
            var guestCounter = GuestMetrics.IsCounter(group.Key);
            var counter = group.Key is "kubevirt_vmi_migration_data_bytes_total" or "kubevirt_vmi_migration_succeeded" or "kubevirt_vmi_migration_failed" || guestCounter;
            text.Append($"# TYPE {group.Key} {(counter ? "counter" : "gauge")}\n");
            foreach (var (cluster, metric, labels, value) in group)
            {
                var all = (cluster.Length > 0 ? new[] { ("cluster", cluster) } : []).Concat(labels);
                text.Append(metric).Append('{').Append(string.Join(",", all.Select(l => $"{l.Item1}=\"{l.Item2}\""))).Append("} ")
                    .Append(value.ToString("0.###", CultureInfo.InvariantCulture));
                if (guestCounter)
                {
                    text.Append(' ').Append(wall.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
                }

                text.Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>A kubeconfig with one context per cluster, named after it, pointing at its API.</summary>
    public string Kubeconfig()
    {
        var text = new StringBuilder("apiVersion: v1\nkind: Config\nclusters:\n");
        foreach (var name in World.Clusters.Keys)
        {
            text.Append($"- name: {name}\n  cluster:\n    server: {ClusterAddress(name)}\n");
        }

        // The simulator accepts any client; a token is there because clients (KubernetesClient) insist on credentials.
        text.Append("users:\n- name: simulator\n  user:\n    token: simulator\ncontexts:\n");
        foreach (var name in World.Clusters.Keys)
        {
            text.Append($"- name: {name}\n  context:\n    cluster: {name}\n    user: simulator\n");
        }

        text.Append($"current-context: {World.Clusters.Keys.First()}\n");
        return text.ToString();
    }

    private async Task Tick(CancellationToken cancel)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            while (await timer.WaitForNextTickAsync(cancel))
            {
                try
                {
                    Engine.Tick();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LastError = e;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string Iso(DateTime time) => Compiler.Facts.Timestamps.Format(time);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (ticker is not null)
        {
            await ticker;
        }

        foreach (var cluster in World.Clusters.Values)
        {
            cluster.Store.DropWatches();
        }

        await app.StopAsync();
        await app.DisposeAsync();
        stop.Dispose();
    }
}
