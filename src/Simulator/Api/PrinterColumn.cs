using System.Text.Json.Nodes;

namespace Reconcile.Simulator.Api;

/// <summary>
/// A CustomResourceDefinition's additionalPrinterColumns, as the API server prints them for `kubectl get`:
/// Name first, then each column whose priority is 0 (kubectl -o wide asks for the others too; the server
/// sends them all with their priority). JSONPath as CRDs use it: fields (.a.b) and a filter on a list
/// ([?(@.type=="Ready")]); anything else prints empty, as a path that matches nothing does.
/// </summary>
public sealed record PrinterColumn(string Name, string Type, string JsonPath, int Priority)
{
    public static IReadOnlyList<PrinterColumn>? Of(JsonNode? version) =>
        version?["additionalPrinterColumns"] is JsonArray columns
            ? [.. columns.OfType<JsonObject>().Select(c => new PrinterColumn(c["name"]?.GetValue<string>() ?? "", c["type"]?.GetValue<string>() ?? "string",
                c["jsonPath"]?.GetValue<string>() ?? "", c["priority"] is JsonValue p && p.TryGetValue<long>(out var n) ? (int)Math.Clamp(n, 0, int.MaxValue) : 0))]
            : null;

    /// <summary>The value at <see cref="JsonPath"/> in <paramref name="obj"/>, or null.</summary>
    public JsonNode? Select(JsonObject obj)
    {
        JsonNode? node = obj;
        var path = JsonPath;
        var i = 0;
        while (i < path.Length && node is not null)
        {
            if (path[i] == '.')
            {
                var start = ++i;
                while (i < path.Length && path[i] is not '.' and not '[')
                {
                    i++;
                }

                node = (node as JsonObject)?[path[start..i]];
            }
            else if (path.AsSpan(i).StartsWith("[?(@.") && path.IndexOf(")]", i, StringComparison.Ordinal) is var end and > 0)
            {
                var condition = path[(i + 5)..end];
                var equals = condition.IndexOf("==", StringComparison.Ordinal);
                if (equals < 0)
                {
                    return null;
                }

                var (field, value) = (condition[..equals], condition[(equals + 2)..].Trim('"', '\''));
                node = (node as JsonArray)?.FirstOrDefault(e => e?[field]?.ToString() == value);
                i = end + 2;
            }
            else
            {
                return null;
            }
        }

        return node;
    }
}
