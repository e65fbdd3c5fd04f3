using System.Globalization;
using System.Text.Json.Nodes;

namespace Reconcile.Simulator.Api;

/// <summary>
/// Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), as kubectl asks for
/// it: the columns KubeVirt's CRDs and Kubernetes print for the kinds the simulator serves, with ages
/// measured against simulated time.
/// </summary>
public static class TablePrinter
{
    // A null cell is a path that matched nothing: kubectl prints it as <none>.
    private sealed record Column(string Name, string Type, Func<JsonObject, DateTime, string?> Cell, string Format = "", int Priority = 0);

    public static bool Wanted(string? accept) => accept is not null && accept.Contains("as=Table", StringComparison.Ordinal);

    private static string Text(JsonNode? node) => node?.ToString() ?? "";

    private static string Age(JsonObject obj, DateTime now)
    {
        if (JsonValues.Created(obj) is not { } created)
        {
            return "<unknown>";
        }

        return Age(now - created);
    }

    private static string Age(TimeSpan age) =>
        age.TotalSeconds < 0 ? "0s" : age.TotalDays >= 2 ? $"{(int)age.TotalDays}d" : age.TotalHours >= 2 ? $"{(int)age.TotalHours}h" : age.TotalMinutes >= 2 ? $"{(int)age.TotalMinutes}m" : $"{(int)age.TotalSeconds}s";

    private static string Condition(JsonObject obj, string type) =>
        obj["status"]?["conditions"]?.AsArray().FirstOrDefault(c => Text(c?["type"]) == type)?["status"]?.ToString() ?? "";

    private static IReadOnlyList<Column> Columns(ResourceKind kind, IReadOnlyList<PrinterColumn>? printerColumns)
    {
        var name = new Column("Name", "string", (o, _) => Text(o["metadata"]?["name"]), "name");
        var age = new Column("Age", "string", Age);
        if (printerColumns is not null)
        {
            // A date column prints as an age (the API server's translateTimestampSince).
            return [name, .. printerColumns.Select(c => c.Type == "date"
                ? new Column(c.Name, "date", (o, now) => c.Select(o) is { } value && DateTime.TryParse(value.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var at)
                    ? Age(now - at) : "<unknown>", Priority: c.Priority)
                : new Column(c.Name, c.Type, (o, _) => c.Select(o)?.ToString(), Priority: c.Priority))];
        }

        return kind.Kind switch
        {
            "VirtualMachineInstance" => [name, age, new("Phase", "string", (o, _) => Text(o["status"]?["phase"])), new("NodeName", "string", (o, _) => Text(o["status"]?["nodeName"])), new("Ready", "string", (o, _) => Condition(o, "Ready"))],
            "VirtualMachineInstanceMigration" => [name, new("Phase", "string", (o, _) => Text(o["status"]?["phase"])), new("VMI", "string", (o, _) => Text(o["spec"]?["vmiName"])), age],
            "VirtualMachine" => [name, age, new("Status", "string", (o, _) => Text(o["status"]?["printableStatus"])), new("Ready", "string", (o, _) => Text(o["status"]?["ready"]))],
            "Node" => [name, new("Status", "string", (o, _) => Condition(o, "Ready") == "True" ? "Ready" : "NotReady"), new("Roles", "string", (_, _) => "<none>"), age, new("Version", "string", (_, _) => "v1.35.0")],
            "DataVolume" => [name, new("Phase", "string", (o, _) => Text(o["status"]?["phase"])), new("Progress", "string", (o, _) => Text(o["status"]?["progress"])), age],
            _ => [name, age],
        };
    }

    public static JsonObject Table(ResourceKind kind, IEnumerable<JsonObject> objects, string resourceVersion, DateTime now, IReadOnlyList<PrinterColumn>? printerColumns = null)
    {
        var columns = Columns(kind, printerColumns);
        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
            ["columnDefinitions"] = new JsonArray([.. columns.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name, ["type"] = c.Type, ["format"] = c.Format, ["description"] = "", ["priority"] = c.Priority,
            })]),
            ["rows"] = new JsonArray([.. objects.Select(o => (JsonNode)new JsonObject
            {
                ["cells"] = new JsonArray([.. columns.Select(c => (JsonNode?)c.Cell(o, now))]),
                ["object"] = new JsonObject
                {
                    ["kind"] = "PartialObjectMetadata",
                    ["apiVersion"] = "meta.k8s.io/v1",
                    ["metadata"] = o["metadata"]?.DeepClone(),
                },
            })]),
        };
    }
}
