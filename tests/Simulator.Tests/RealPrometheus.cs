using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// Debian's Prometheus server, started for one test on 127.0.0.1 with its own storage, scraping one
/// target's /metrics (the simulator's, the reconciler's) every second; killed (and its files removed) when disposed.
/// </summary>
internal sealed class RealPrometheus : IAsyncDisposable
{
    private readonly Process process;
    private readonly TempDirectory dir;
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private RealPrometheus(Process process, TempDirectory dir, Uri url)
    {
        this.process = process;
        this.dir = dir;
        Url = url;
    }

    public Uri Url { get; }

    public static string Binary() => ExternalTools.Require(ExternalTools.Prometheus(), "prometheus not installed: run .ci/install-tools (CI does; Debian package prometheus)");

    public static async Task<RealPrometheus> Start(Uri target)
    {
        var binary = Binary();
        var dir = new TempDirectory();
        File.WriteAllText(dir.File("prometheus.yml"), $$"""
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: target
                static_configs: [{targets: ["{{target.Authority}}"]}]
            """);

        // The free port is found by binding and closing it; another test may take it before Prometheus
        // binds it, and Prometheus then exits at once: try again on another port.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var start = new ProcessStartInfo(binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { $"--config.file={dir.File("prometheus.yml")}", $"--storage.tsdb.path={dir.File("data")}", $"--web.listen-address=127.0.0.1:{port}" })
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var prometheus = new RealPrometheus(process, dir, new Uri($"http://127.0.0.1:{port}/"));
            var until = DateTime.UtcNow.AddMinutes(1);
            while (!process.HasExited && DateTime.UtcNow < until)
            {
                try
                {
                    if ((await prometheus.http.GetAsync(new Uri(prometheus.Url, "-/ready"))).IsSuccessStatusCode)
                    {
                        return prometheus;
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(250);
            }

            var exitCode = process.HasExited ? process.ExitCode : (int?)null;
            await prometheus.StopProcess();
            if (exitCode is null || attempt == 3)
            {
                dir.Dispose();
                Assert.Fail($"prometheus: not ready within a minute{(exitCode is { } code ? $", exited with {code} {attempt} times" : "")}");
            }
        }
    }

    /// <summary>The value of an instant query that returns one sample, or null.</summary>
    public async Task<double?> Scalar(string query)
    {
        var json = JsonNode.Parse(await http.GetStringAsync(new Uri(Url, "api/v1/query?query=" + Uri.EscapeDataString(query))));
        return json?["data"]?["result"]?.AsArray().FirstOrDefault()?["value"]?[1]?.GetValue<string>() is { } text ? double.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>An instant query's status ("success", or Prometheus' error) and how many series it returned.</summary>
    public async Task<(string Status, int Results)> Query(string query)
    {
        using var response = await http.GetAsync(new Uri(Url, "api/v1/query?query=" + Uri.EscapeDataString(query)));
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        var status = json?["status"]?.GetValue<string>() == "success" ? "success" : $"{json?["errorType"]}: {json?["error"]}";
        return (status, json?["data"]?["result"] is JsonArray results ? results.Count : 0);
    }

    /// <summary>Waits (at most a minute) until <paramref name="done"/> holds.</summary>
    public async Task WaitFor(Func<Task<bool>> done, string what)
    {
        var until = DateTime.UtcNow.AddMinutes(1);
        while (DateTime.UtcNow < until)
        {
            try
            {
                if (await done())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            Assert.False(process.HasExited, $"prometheus exited with {(process.HasExited ? process.ExitCode : 0)}");
            await Task.Delay(250);
        }

        Assert.Fail($"prometheus: not {what} within a minute");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task StopProcess()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        http.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopProcess();
        dir.Dispose();
    }
}
