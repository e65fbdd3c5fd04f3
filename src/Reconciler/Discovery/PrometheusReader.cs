using System.Globalization;
using System.Text.Json.Nodes;

namespace Reconcile.Reconciler.Discovery;

/// <summary>What Prometheus measured for one VMI over the lookback: its dirty rate and each drive's write rate, bytes per second.</summary>
public sealed record GuestRates(double? DirtyRate, IReadOnlyDictionary<string, double> WriteRates);

/// <summary>Rates per VMI (namespace/name) of one cluster, or why Prometheus could not give them.</summary>
public sealed record MeasuredRates(IReadOnlyDictionary<string, GuestRates> Guests, string? Failure)
{
    public static readonly MeasuredRates None = new(new Dictionary<string, GuestRates>(), null);

    public GuestRates? Of(string ns, string name) => Guests.GetValueOrDefault($"{ns}/{name}");
}

/// <summary>
/// Reads measured guest rates from Prometheus' HTTP API (GET /api/v1/query): a high percentile over the
/// lookback of KubeVirt's <c>kubevirt_vmi_dirty_rate_bytes_per_second</c> gauge, and of the write rate
/// per drive: irate() of <c>kubevirt_vmi_storage_write_traffic_bytes_total</c> (the rate between two
/// consecutive scrapes) sampled at each step of a subquery, so bursts count as they happen. Both are
/// virt-handler metrics labelled namespace and name (pkg/monitoring/metrics/virt-handler/domainstats,
/// v1.6.0-v1.9.0). A Prometheus that serves several clusters tells them apart by a label (by default
/// "cluster", as external labels or Thanos set it); with one cluster per Prometheus none is needed.
/// </summary>
public sealed class PrometheusReader(HttpClient http, Uri server)
{
    public const string DirtyRateMetric = "kubevirt_vmi_dirty_rate_bytes_per_second";
    public const string WriteTrafficMetric = "kubevirt_vmi_storage_write_traffic_bytes_total";

    /// <param name="cluster">The value of <paramref name="clusterLabel"/> to select; null reads every series.</param>
    public async Task<MeasuredRates> ReadAsync(string? cluster, string clusterLabel, TimeSpan lookback, double percentile, CancellationToken cancel)
    {
        var match = cluster is null ? "" : $"{{{clusterLabel}={Quote(cluster)}}}";
        var range = PromDuration(lookback);
        var step = PromDuration(Step(lookback));
        var q = percentile.ToString("0.###", CultureInfo.InvariantCulture);
        try
        {
            var dirty = await QueryAsync($"quantile_over_time({q}, {DirtyRateMetric}{match}[{range}])", cancel);
            var writes = await QueryAsync($"quantile_over_time({q}, irate({WriteTrafficMetric}{match}[{PromDuration(RateWindow(lookback))}])[{range}:{step}])", cancel);
            var guests = new SortedDictionary<string, (double? Dirty, SortedDictionary<string, double> Writes)>(StringComparer.Ordinal);
            foreach (var (labels, value) in dirty)
            {
                var key = Key(labels);
                guests[key] = (value, guests.TryGetValue(key, out var g) ? g.Writes : new SortedDictionary<string, double>(StringComparer.Ordinal));
            }

            foreach (var (labels, value) in writes)
            {
                var key = Key(labels);
                if (!guests.TryGetValue(key, out var g))
                {
                    g = (null, new SortedDictionary<string, double>(StringComparer.Ordinal));
                    guests[key] = g;
                }

                if (labels.TryGetValue("drive", out var drive))
                {
                    g.Writes[drive] = value;
                }
            }

            return new MeasuredRates(guests.ToDictionary(g => g.Key, g => new GuestRates(g.Value.Dirty, g.Value.Writes), StringComparer.Ordinal), null);
        }
        catch (PrometheusException e)
        {
            return new MeasuredRates(new Dictionary<string, GuestRates>(), e.Message);
        }
    }

    /// <summary>The subquery's resolution: a hundredth of the lookback, between 1 s and 1 m.</summary>
    internal static TimeSpan Step(TimeSpan lookback) => TimeSpan.FromSeconds(Math.Clamp(lookback.TotalSeconds / 100, 1, 60));

    /// <summary>How far irate() looks back for its last two samples: 5 m (a few scrapes at common intervals), or less for a short lookback.</summary>
    internal static TimeSpan RateWindow(TimeSpan lookback) => TimeSpan.FromSeconds(Math.Clamp(lookback.TotalSeconds / 4, 10, 300));

    private static string Key(IReadOnlyDictionary<string, string> labels) =>
        $"{labels.GetValueOrDefault("namespace", "")}/{labels.GetValueOrDefault("name", "")}";

    private async Task<List<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string query, CancellationToken cancel)
    {
        var uri = new Uri(server, "api/v1/query?query=" + Uri.EscapeDataString(query));
        string body;
        int status;
        try
        {
            using var response = await http.GetAsync(uri, cancel);
            status = (int)response.StatusCode;
            body = await response.Content.ReadAsStringAsync(cancel);
        }
        catch (HttpRequestException e)
        {
            throw new PrometheusException($"Prometheus at {server} cannot be reached: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new PrometheusException($"Prometheus at {server} did not answer in time");
        }

        JsonNode? json;
        try
        {
            json = JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException)
        {
            throw new PrometheusException($"Prometheus at {server} answered HTTP {status} with a body that is not its API's JSON");
        }

        if (json?["status"]?.GetValue<string>() != "success")
        {
            throw new PrometheusException($"Prometheus at {server} refused the query (HTTP {status}, {json?["errorType"]?.GetValue<string>() ?? "no errorType"}): {json?["error"]?.GetValue<string>() ?? "no error message"}");
        }

        var result = new List<(IReadOnlyDictionary<string, string>, double)>();
        foreach (var sample in json["data"]?["result"]?.AsArray().OfType<JsonObject>() ?? [])
        {
            var labels = (sample["metric"] as JsonObject)?.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "", StringComparer.Ordinal) ?? [];
            if (sample["value"]?[1]?.GetValue<string>() is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
            {
                result.Add((labels, value));
            }
        }

        return result;
    }

    /// <summary>A PromQL string literal.</summary>
    private static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    /// <summary>A PromQL duration (whole seconds, or larger units when exact).</summary>
    internal static string PromDuration(TimeSpan span)
    {
        var seconds = Math.Max(1, (long)span.TotalSeconds);
        return seconds % 86400 == 0 ? $"{seconds / 86400}d" : seconds % 3600 == 0 ? $"{seconds / 3600}h" : seconds % 60 == 0 ? $"{seconds / 60}m" : $"{seconds}s";
    }
}

/// <summary>Prometheus could not be asked or refused the query.</summary>
public sealed class PrometheusException(string message) : Exception(message);
