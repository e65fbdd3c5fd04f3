using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Serialization;

namespace Reconcile.Cli.Status;

/// <summary>
/// `reconcile status -o json|yaml`: one document for every run (kind RunStatusList), times in UTC
/// (RFC 3339), durations in seconds; the same fields in YAML. docs/reconciler.md describes each field.
/// </summary>
public static class StatusDocument
{
    public static JsonObject Of(string context, string ns, DateTime now, IReadOnlyList<RunSummary> runs) => new()
    {
        ["apiVersion"] = "migration.reconcile.dev/v1alpha1",
        ["kind"] = "RunStatusList",
        ["context"] = context,
        ["namespace"] = ns,
        ["time"] = Time(now),
        ["runs"] = new JsonArray([.. runs.Select(Run)]),
    };

    private static JsonNode Run(RunSummary run) => new JsonObject
    {
        ["name"] = run.Name,
        ["plan"] = run.Plan,
        ["revision"] = run.Revision,
        ["timeZone"] = run.TimeZone,
        ["steps"] = new JsonObject { ["total"] = run.Steps, ["done"] = run.Done, ["running"] = run.Running, ["failed"] = run.Failed },
        ["ready"] = run.Ready,
        ["stalled"] = run.Stalled,
        ["suspended"] = run.Suspended,
        ["currentStage"] = run.CurrentStage,
        ["nextWindow"] = Time(run.NextWindow),
        ["plannedEnd"] = Time(run.PlannedEnd),
        ["eta"] = Time(run.Eta),
        ["behindSeconds"] = Seconds(run.Behind),
        ["stages"] = new JsonArray([.. run.Stages.Select(s => (JsonNode)new JsonObject
        {
            ["name"] = s.Name,
            ["steps"] = s.Steps,
            ["done"] = s.Done,
            ["running"] = s.Running,
            ["failed"] = s.Failed,
            ["plannedStart"] = Time(s.PlannedStart),
            ["plannedEnd"] = Time(s.PlannedEnd),
            ["actualStart"] = Time(s.ActualStart),
            ["actualEnd"] = Time(s.ActualEnd),
            ["behindSeconds"] = Seconds(s.Behind),
        })]),
        ["problems"] = new JsonArray([.. run.Problems.Select(p => (JsonNode)new JsonObject { ["step"] = p.Id, ["message"] = p.Message })]),
    };

    public static string Yaml(JsonNode document) =>
        new SerializerBuilder().WithQuotingNecessaryStrings().Build().Serialize(Plain(document));

    /// <summary>JSON nodes as the dictionaries, lists and scalars YamlDotNet serializes, in the same order.</summary>
    private static object? Plain(JsonNode? node) => node switch
    {
        JsonObject obj => obj.ToDictionary(p => p.Key, p => Plain(p.Value)),
        JsonArray array => array.Select(Plain).ToList(),
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
        // Numbers by their JSON text: a value may hold an int, a long or a double.
        JsonValue value when long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole) => whole,
        JsonValue value => double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture),
        _ => null,
    };

    private static string? Time(DateTime? utc) => utc?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static long? Seconds(TimeSpan? span) => span is { } s ? (long)Math.Round(s.TotalSeconds) : null;
}
