using System.Text.Json.Nodes;

namespace Reconcile.Simulator.Api;

/// <summary>JSON merge patch (RFC 7386) and JSON patch (RFC 6902), applied to a copy of the live object.</summary>
public static class Patches
{
    /// <summary>
    /// RFC 7386. Also used for strategic-merge patches: the simulator knows no patch strategies, so
    /// lists are replaced whole (the strategic default for lists without a merge key).
    /// </summary>
    public static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject is { } t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result[name] = Merge(result[name], value);
            }
        }

        return result;
    }

    /// <summary>RFC 6902 operations add, remove, replace, move, copy and test.</summary>
    public static JsonNode Json(JsonNode document, JsonArray operations)
    {
        var result = document.DeepClone();
        foreach (var operation in operations.OfType<JsonObject>())
        {
            var op = operation["op"]?.GetValue<string>() ?? throw ApiError.BadRequest("json patch operation without op");
            var path = operation["path"]?.GetValue<string>() ?? throw ApiError.BadRequest("json patch operation without path");
            switch (op)
            {
                case "add":
                    result = Put(result, path, operation["value"]?.DeepClone(), insert: true);
                    break;
                case "replace":
                    Resolve(result, path);
                    result = Put(result, path, operation["value"]?.DeepClone(), insert: false);
                    break;
                case "remove":
                    Remove(result, path);
                    break;
                case "move":
                case "copy":
                    var from = operation["from"]?.GetValue<string>() ?? throw ApiError.BadRequest($"json patch {op} without from");
                    var value = Resolve(result, from)?.DeepClone();
                    if (op == "move")
                    {
                        Remove(result, from);
                    }

                    result = Put(result, path, value, insert: true);
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Resolve(result, path), operation["value"]))
                    {
                        throw new ApiError(422, "Invalid", $"the server rejected our request due to an error in our request: testing value {path} failed");
                    }

                    break;
                default:
                    throw ApiError.BadRequest($"unknown json patch operation {op}");
            }
        }

        return result;
    }

    private static string[] Parts(string pointer) =>
        pointer.Length == 0 ? [] : [.. pointer.TrimStart('/').Split('/').Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];

    private static JsonNode? Resolve(JsonNode root, string pointer)
    {
        JsonNode? node = root;
        foreach (var part in Parts(pointer))
        {
            node = node switch
            {
                JsonObject o when o.ContainsKey(part) => o[part],
                JsonArray a when int.TryParse(part, out var i) && i >= 0 && i < a.Count => a[i],
                _ => throw new ApiError(422, "Invalid", $"the server rejected our request due to an error in our request: path {pointer} does not exist"),
            };
        }

        return node;
    }

    private static JsonNode Put(JsonNode root, string pointer, JsonNode? value, bool insert)
    {
        var parts = Parts(pointer);
        if (parts.Length == 0)
        {
            return value ?? throw ApiError.BadRequest("cannot replace the whole document with null");
        }

        var parent = Resolve(root, "/" + string.Join('/', parts[..^1].Select(p => p.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))));
        var last = parts[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count:
                if (insert)
                {
                    a.Insert(i, value);
                }
                else
                {
                    a[i] = value;
                }

                break;
            default:
                throw new ApiError(422, "Invalid", $"the server rejected our request due to an error in our request: cannot set {pointer}");
        }

        return root;
    }

    private static void Remove(JsonNode root, string pointer)
    {
        var parts = Parts(pointer);
        var parent = Resolve(root, "/" + string.Join('/', parts[..^1].Select(p => p.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))));
        var last = parts[^1];
        var removed = parent switch
        {
            JsonObject o => o.Remove(last),
            JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count => RemoveAt(a, i),
            _ => false,
        };
        if (!removed)
        {
            throw new ApiError(422, "Invalid", $"the server rejected our request due to an error in our request: path {pointer} does not exist");
        }
    }

    private static bool RemoveAt(JsonArray array, int index)
    {
        array.RemoveAt(index);
        return true;
    }
}
