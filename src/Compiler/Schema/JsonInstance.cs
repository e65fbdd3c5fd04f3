using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Reconcile.Compiler.Schema;

/// <summary>
/// What JSON Schema asks of an instance value, read straight from a <see cref="JsonNode"/>: its type,
/// its number, its length and equality by value. The rules follow JSON Schema 2020-12 as JsonSchema.Net
/// applies them (a number with no fraction is an integer, 1 equals 1.0, a string's length counts text
/// elements); CompiledSchemaAgreementTests holds the two together.
/// </summary>
internal static class JsonInstance
{
    public static JsonValueKind KindOf(JsonNode? node) => node switch
    {
        null => JsonValueKind.Null,
        JsonObject => JsonValueKind.Object,
        JsonArray => JsonValueKind.Array,
        _ => node.GetValueKind(),
    };

    public static bool HasType(JsonNode? node, string type) => type switch
    {
        "object" => node is JsonObject,
        "array" => node is JsonArray,
        "string" => KindOf(node) == JsonValueKind.String,
        "boolean" => KindOf(node) is JsonValueKind.True or JsonValueKind.False,
        "null" => node is null,
        "number" => KindOf(node) == JsonValueKind.Number,
        "integer" => KindOf(node) == JsonValueKind.Number && IsWhole(Number(node!)),
        _ => throw new InvalidOperationException($"unknown JSON Schema type '{type}'"),
    };

    /// <summary>A number as a decimal where it fits (exact for every plan value), else as a double.</summary>
    public static JsonNumber Number(JsonNode node)
    {
        var value = node.AsValue();
        if (value.TryGetValue<long>(out var whole))
        {
            return new JsonNumber(whole, whole);
        }

        if (value.TryGetValue<decimal>(out var exact))
        {
            return new JsonNumber(exact, (double)exact);
        }

        if (value.TryGetValue<double>(out var real))
        {
            return new JsonNumber(ToDecimal(real), real);
        }

        // A JsonElement-backed number too large for decimal (1e300) reads as a double.
        var text = value.ToJsonString();
        var parsed = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return new JsonNumber(ToDecimal(parsed), parsed);
    }

    public static int Compare(JsonNumber left, JsonNumber right) =>
        left.Exact is { } a && right.Exact is { } b ? a.CompareTo(b) : left.Approximate.CompareTo(right.Approximate);

    /// <summary>maxLength and minLength count what a reader sees as one character (a text element).</summary>
    public static int LengthOf(string text) => new StringInfo(text).LengthInTextElements;

    /// <summary>Equality as enum, const and uniqueItems use it: by value, numbers by magnitude, keys in any order.</summary>
    public static bool ValueEquals(JsonNode? left, JsonNode? right)
    {
        var kind = KindOf(left);
        if (kind != KindOf(right))
        {
            return false;
        }

        switch (kind)
        {
            case JsonValueKind.Object:
                var a = (JsonObject)left!;
                var b = (JsonObject)right!;
                return a.Count == b.Count && a.All(p => b.TryGetPropertyValue(p.Key, out var other) && ValueEquals(p.Value, other));
            case JsonValueKind.Array:
                var x = (JsonArray)left!;
                var y = (JsonArray)right!;
                return x.Count == y.Count && x.Select((item, i) => ValueEquals(item, y[i])).All(same => same);
            case JsonValueKind.Number:
                return Compare(Number(left!), Number(right!)) == 0;
            case JsonValueKind.String:
                return string.Equals(left!.GetValue<string>(), right!.GetValue<string>(), StringComparison.Ordinal);
            default:
                return true;
        }
    }

    /// <summary>A hash that agrees with <see cref="ValueEquals"/>: equal values hash alike (1 and 1.0, keys in any order).</summary>
    public static int ValueHash(JsonNode? node)
    {
        switch (KindOf(node))
        {
            case JsonValueKind.Object:
                var members = 0;
                foreach (var (key, value) in (JsonObject)node!)
                {
                    members += HashCode.Combine(StringComparer.Ordinal.GetHashCode(key), ValueHash(value));
                }

                return HashCode.Combine(JsonValueKind.Object, members);
            case JsonValueKind.Array:
                var items = new HashCode();
                foreach (var item in (JsonArray)node!)
                {
                    items.Add(ValueHash(item));
                }

                return HashCode.Combine(JsonValueKind.Array, items.ToHashCode());
            case JsonValueKind.Number:
                // Hashed the way Compare compares: as a decimal where it fits (1 and 1.0 alike), else as a double.
                var number = Number(node!);
                return number.Exact is { } exact ? exact.GetHashCode() : number.Approximate.GetHashCode();
            case JsonValueKind.String:
                return StringComparer.Ordinal.GetHashCode(node!.GetValue<string>());
            case var kind:
                return (int)kind;
        }
    }

    private static bool IsWhole(JsonNumber number) =>
        number.Exact is { } exact ? decimal.Truncate(exact) == exact : double.IsFinite(number.Approximate) && Math.Floor(number.Approximate) == number.Approximate;

    private static decimal? ToDecimal(double value) =>
        double.IsFinite(value) && Math.Abs(value) < 7.9e28 ? (decimal)value : null;
}

/// <summary>A JSON number: exact when it fits a decimal, always as a double.</summary>
internal readonly record struct JsonNumber(decimal? Exact, double Approximate);
