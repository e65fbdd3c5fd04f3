using System.Text.Json.Nodes;
using Reconcile.Compiler.Diagnostics;

namespace Reconcile.Compiler.Loading;

/// <summary>One YAML document of a plan file, as JSON, with the map back to its source.</summary>
/// <param name="Index">0-based position of the document in its file.</param>
public sealed record PlanDocument(string File, int Index, JsonNode? Root, SourceMap Map)
{
    public string? Kind => (Root as JsonObject)?["kind"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public string? Name =>
        (Root as JsonObject)?["metadata"] is JsonObject m && m["name"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public SourceLocation Start => Map.ValueAt("");

    public SourceLocation ValueAt(string pointer) => Map.ValueAt(pointer);

    public SourceLocation KeyAt(string pointer) => Map.KeyAt(pointer);

    public override string ToString() => $"{Kind}/{Name} ({File}#{Index})";
}
