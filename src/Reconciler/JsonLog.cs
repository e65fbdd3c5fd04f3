using System.Text.Json.Nodes;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Reconciler;

/// <summary>Structured log lines (one JSON object per line), the reconciler's only output besides the cluster.</summary>
public sealed class JsonLog(TextWriter writer, Func<DateTime> clock)
{
    // Quotes and apostrophes as they are, not \u0027: the lines are read by people too.
    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public void Write(string level, string message, params (string Key, object? Value)[] fields)
    {
        var line = new JsonObject { ["time"] = StepState.Time(clock()), ["level"] = level, ["msg"] = message };
        foreach (var (key, value) in fields)
        {
            line[key] = value is null ? null : JsonValue.Create(value.ToString());
        }

        lock (writer)
        {
            writer.WriteLine(line.ToJsonString(Relaxed));
        }
    }
}
