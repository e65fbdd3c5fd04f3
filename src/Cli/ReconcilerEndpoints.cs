using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Reconcile.Reconciler;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Cli;

/// <summary>The reconciler's own endpoints: /healthz (alive), /readyz (a revision is in force and, with leader election, this replica leads or stands by), /metrics.</summary>
public sealed class ReconcilerEndpoints : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Lock gate = new();
    private LoopStatus? last;
    private double passSeconds;

    private ReconcilerEndpoints(WebApplication app) => this.app = app;

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
        app.MapGet("/metrics", () => Results.Text(endpoints.Metrics(), "text/plain; version=0.0.4"));
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

    public void Update(LoopStatus status, TimeSpan pass)
    {
        lock (gate)
        {
            last = status;
            passSeconds = pass.TotalSeconds;
        }
    }

    public string Metrics()
    {
        lock (gate)
        {
            var text = new StringBuilder();
            text.Append("# TYPE reconcile_pass_duration_seconds gauge\n").Append($"reconcile_pass_duration_seconds {F(passSeconds)}\n");
            text.Append("# TYPE reconcile_leader gauge\n").Append($"reconcile_leader {(Leading() ? 1 : 0)}\n");
            if (last?.Revision is { } revision)
            {
                text.Append("# TYPE reconcile_revision_info gauge\n").Append($"reconcile_revision_info{{revision=\"{revision}\"}} 1\n");
            }

            text.Append("# TYPE reconcile_steps gauge\n");
            foreach (var (plan, pass) in last?.Plans ?? new Dictionary<string, PassResult>())
            {
                foreach (var phase in Enum.GetValues<StepPhase>())
                {
                    text.Append($"reconcile_steps{{plan=\"{plan}\",phase=\"{phase}\"}} {pass.Steps.Count(s => s.Phase == phase)}\n");
                }
            }

            // The MigrationRun's conditions, for alerts that outlive the VMIMs a retry deletes.
            text.Append("# TYPE reconcile_condition gauge\n");
            foreach (var (plan, pass) in last?.Plans ?? new Dictionary<string, PassResult>())
            {
                foreach (var condition in pass.Conditions.OrderBy(c => c.Type, StringComparer.Ordinal))
                {
                    text.Append($"reconcile_condition{{plan=\"{plan}\",type=\"{condition.Type}\"}} {(condition.Status ? 1 : 0)}\n");
                }
            }

            text.Append("# TYPE reconcile_bytes_moved gauge\n");
            foreach (var (plan, pass) in last?.Plans ?? new Dictionary<string, PassResult>())
            {
                text.Append($"reconcile_bytes_moved{{plan=\"{plan}\"}} {pass.BytesMoved}\n");
            }

            text.Append("# TYPE reconcile_window_seconds_left gauge\n");
            foreach (var (plan, pass) in last?.Plans ?? new Dictionary<string, PassResult>())
            {
                if (pass.WindowSecondsLeft is { } left)
                {
                    text.Append($"reconcile_window_seconds_left{{plan=\"{plan}\"}} {F(left)}\n");
                }
            }

            return text.ToString();
        }
    }

    private static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
