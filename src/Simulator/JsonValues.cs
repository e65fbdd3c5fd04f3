using System.Text.Json.Nodes;

namespace Reconcile.Simulator;

/// <summary>Values read from objects whatever form they came in: numbers (an int written by code, a double parsed from text), timestamps.</summary>
internal static class JsonValues
{
    public static double? Number(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<double>(out var d))
        {
            return d;
        }

        if (value.TryGetValue<long>(out var l))
        {
            return l;
        }

        return value.TryGetValue<int>(out var i) ? i : null;
    }

    public static int? Integer(JsonNode? node) => Number(node) is { } n ? (int)n : null;

    /// <summary>metadata.creationTimestamp as UTC, or null when absent or unreadable.</summary>
    public static DateTime? Created(JsonObject obj) =>
        System.DateTime.TryParse(obj["metadata"]?["creationTimestamp"]?.ToString(), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var created) ? created : null;
}
