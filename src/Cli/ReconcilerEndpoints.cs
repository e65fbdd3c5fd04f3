using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Reconcile.Reconciler;
using Reconcile.Reconciler.Metrics;

namespace Reconcile.Cli;

/// <summary>The reconciler's own endpoints: /healthz (alive), /readyz (a revision is in force and, with leader election, this replica leads or stands by), /metrics.</summary>
public sealed class ReconcilerEndpoints : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Lock gate = new();
    private LoopStatus? last;

    private ReconcilerEndpoints(WebApplication app)
    {
        this.app = app;
        Metrics = new ReconcilerMetrics(() => Leading());
    }

    public ReconcilerMetrics Metrics { get; }

    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    public Func<bool> Leading { get; set; } = () => true;

    public static async Task<ReconcilerEndpoints> StartAsync(string address)
    {
        var endpoint = IPEndPoint.Parse(address);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(endpoint));
        var app = builder.Build();
        var endpoints = new ReconcilerEndpoints(app);
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", () => endpoints.Ready ? Results.Text("ok") : Results.Text("no revision in force yet", statusCode: 503));
        app.MapGet("/metrics", async (HttpContext http) =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await endpoints.Metrics.ExportAsync(http.Response.Body, http.RequestAborted);
        });
        await app.StartAsync();
        endpoints.Address = new Uri(app.Urls.First());
        return endpoints;
    }

    private bool Ready
    {
        get
        {
            lock (gate)
            {
                return last?.Revision is not null;
            }
        }
    }

    /// <summary>The pass's outcome: readiness follows it, and the metrics count it.</summary>
    public void Update(LoopStatus status, TimeSpan pass)
    {
        lock (gate)
        {
            last = status;
        }

        Metrics.Observe(status, pass);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
