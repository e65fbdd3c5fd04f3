using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Reconcile.Compiler.Tests.Operations;

/// <summary>
/// deploy/grafana-dashboard.json: a dashboard Grafana imports (valid JSON, unique panel ids, panels inside
/// the 24-column grid, every query on the data source variable), whose queries read only series the
/// reconciler serves and only variables it defines. Simulator.Tests' MetricsEndToEndTests runs every
/// query against a real Prometheus scraping a running reconciler.
/// </summary>
public sealed partial class GrafanaDashboardTests
{
    /// <summary>Variables Grafana itself provides.</summary>
    private static readonly HashSet<string> BuiltIns = new(["__rate_interval", "__interval", "__range"], StringComparer.Ordinal);

    public static JsonObject Dashboard() =>
        JsonNode.Parse(File.ReadAllText(Repository.PathOf("deploy", "grafana-dashboard.json")), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false })!.AsObject();

    /// <summary>Every query of the dashboard: panel targets and the variables' own queries.</summary>
    public static IReadOnlyList<string> Queries(JsonObject dashboard) =>
    [
        .. Panels(dashboard).SelectMany(p => p["targets"]?.AsArray() ?? []).Select(t => t!["expr"]!.GetValue<string>()),
        .. Variables(dashboard).Select(v => v["definition"]?.GetValue<string>()).OfType<string>(),
    ];

    [Fact]
    public void It_is_a_dashboard_grafana_imports()
    {
        var dashboard = Dashboard();
        Assert.Equal("reconcile-campaigns", dashboard["uid"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(dashboard["title"]!.GetValue<string>()));
        Assert.True(dashboard["schemaVersion"]!.GetValue<int>() >= 36);

        var panels = Panels(dashboard).ToList();
        Assert.True(panels.Count >= 12, "a panel per series family at least");
        Assert.Equal(panels.Count, panels.Select(p => p["id"]!.GetValue<int>()).Distinct().Count());
        foreach (var panel in panels)
        {
            var title = panel["title"]!.GetValue<string>();
            var grid = panel["gridPos"]!;
            Assert.True(grid["x"]!.GetValue<int>() >= 0 && grid["x"]!.GetValue<int>() + grid["w"]!.GetValue<int>() <= 24, $"{title} leaves the grid");
            Assert.True(grid["h"]!.GetValue<int>() > 0, title);
            if (panel["type"]!.GetValue<string>() == "row")
            {
                continue;
            }

            Assert.Contains(panel["type"]!.GetValue<string>(), new[] { "timeseries", "stat", "bargauge", "gauge", "table" });
            Assert.Equal("${datasource}", panel["datasource"]!["uid"]!.GetValue<string>());
            var targets = panel["targets"]!.AsArray();
            Assert.NotEmpty(targets);
            Assert.Equal(targets.Count, targets.Select(t => t!["refId"]!.GetValue<string>()).Distinct().Count());
        }

        // Panels do not overlap.
        var cells = new HashSet<(int, int)>();
        foreach (var grid in panels.Select(p => p["gridPos"]!))
        {
            for (var x = grid["x"]!.GetValue<int>(); x < grid["x"]!.GetValue<int>() + grid["w"]!.GetValue<int>(); x++)
            {
                for (var y = grid["y"]!.GetValue<int>(); y < grid["y"]!.GetValue<int>() + grid["h"]!.GetValue<int>(); y++)
                {
                    Assert.True(cells.Add((x, y)), $"two panels cover column {x}, row {y}");
                }
            }
        }
    }

    [Fact]
    public void Its_queries_read_only_served_series_and_defined_variables()
    {
        var dashboard = Dashboard();
        var served = ServedMetrics.Names();
        var defined = Variables(dashboard).Select(v => v["name"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var queries = Queries(dashboard);
        var read = queries.SelectMany(ServedMetrics.NamesIn).ToHashSet(StringComparer.Ordinal);

        Assert.All(read, name => Assert.Contains(name, served));
        Assert.All(queries.SelectMany(q => Variable().Matches(q).Select(m => m.Groups[1].Value)), name => Assert.True(defined.Contains(name) || BuiltIns.Contains(name), $"${name} is not defined"));
        Assert.All(Panels(dashboard).Select(p => p["datasource"]?["uid"]?.GetValue<string>()).OfType<string>(),
            uid => Assert.True(defined.Contains(uid.Trim('$', '{', '}')), uid));
        // Each family the reconciler adds to the defaults is on the dashboard.
        foreach (var family in served.Where(n => n.StartsWith("reconcile_", StringComparison.Ordinal)).Select(n => Regex.Replace(n, "_(bucket|sum|count)$", "")).Distinct())
        {
            Assert.True(read.Any(r => r.StartsWith(family, StringComparison.Ordinal)), $"{family} is on no panel");
        }
    }

    private static IEnumerable<JsonObject> Panels(JsonObject dashboard) => dashboard["panels"]!.AsArray().Select(p => p!.AsObject());

    private static IEnumerable<JsonObject> Variables(JsonObject dashboard) => dashboard["templating"]!["list"]!.AsArray().Select(v => v!.AsObject());

    [GeneratedRegex(@"\$\{?([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Variable();
}
