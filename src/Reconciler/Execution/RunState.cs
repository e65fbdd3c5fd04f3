using System.Globalization;
using System.Text.Json.Nodes;

namespace Reconcile.Reconciler.Execution;

public enum StepPhase
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Skipped,
}

/// <summary>One step's progress as the MigrationRun's status records it.</summary>
public sealed record StepState(string Id, StepPhase Phase, int Attempts = 0, DateTime? StartTime = null, DateTime? EndTime = null, DateTime? RetryAfter = null, string? Message = null,
    string? Stage = null, string? Kind = null)
{
    public bool IsDone => Phase is StepPhase.Succeeded or StepPhase.Skipped;

    public JsonObject ToJson()
    {
        var step = new JsonObject { ["id"] = Id, ["phase"] = Phase.ToString(), ["attempts"] = Attempts };
        if (Stage is not null)
        {
            step["stage"] = Stage;
        }

        if (Kind is not null)
        {
            step["kind"] = Kind;
        }

        if (StartTime is { } start)
        {
            step["startTime"] = Time(start);
        }

        if (EndTime is { } end)
        {
            step["endTime"] = Time(end);
        }

        if (RetryAfter is { } retry)
        {
            step["retryAfter"] = Time(retry);
        }

        if (Message is not null)
        {
            step["message"] = Message;
        }

        return step;
    }

    public static StepState FromJson(JsonNode step) => new(
        step["id"]!.GetValue<string>(),
        Enum.Parse<StepPhase>(step["phase"]!.GetValue<string>()),
        step["attempts"] is JsonValue a ? (int)(a.TryGetValue<long>(out var l) ? l : a.GetValue<int>()) : 0,
        ParseTime(step["startTime"]), ParseTime(step["endTime"]), ParseTime(step["retryAfter"]), step["message"]?.GetValue<string>(),
        step["stage"]?.GetValue<string>(), step["kind"]?.GetValue<string>());

    public static string Time(DateTime time) => Compiler.Planning.GraphWriter.Time(time);

    private static DateTime? ParseTime(JsonNode? node) =>
        node?.GetValue<string>() is { } text && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time) ? time : null;
}

/// <summary>A Kubernetes condition (Ready, Reconciling, Stalled, Suspended).</summary>
public sealed record Condition(string Type, bool Status, string Reason, string Message, DateTime LastTransitionTime)
{
    public JsonObject ToJson() => new()
    {
        ["type"] = Type,
        ["status"] = Status ? "True" : "False",
        ["reason"] = Reason,
        ["message"] = Message,
        ["lastTransitionTime"] = StepState.Time(LastTransitionTime),
    };
}
