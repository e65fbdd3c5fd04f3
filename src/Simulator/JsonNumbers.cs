using System.Text.Json.Nodes;

namespace Reconcile.Simulator;

/// <summary>JSON numbers read whatever .NET type holds them (an int written by code, a double parsed from text).</summary>
internal static class JsonNumbers
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
}
