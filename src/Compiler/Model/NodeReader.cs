using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Diagnostics;

namespace Reconcile.Compiler.Model;

/// <summary>
/// Reads fields of one JSON object of a document that passed the schema. Values the schema could
/// not rule out (overflowing quantities, impossible dates) become RC1020 diagnostics and a fallback.
/// </summary>
internal sealed class NodeReader(JsonObject node, Located at, IDiagnosticWriter diagnostics)
{
    public const int EarliestYear = 1970;
    public const int LatestYear = 2999;

    public Located At { get; } = at;

    public bool Has(string field) => node[field] is not null;

    public string Str(string field, string fallback = "") =>
        node[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : fallback;

    public string? OptStr(string field) => Has(field) ? Str(field) : null;

    public int Int(string field, int fallback) =>
        node[field] is null ? fallback
        : node[field] is JsonValue v && v.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue ? (int)l
        : node[field] is JsonValue d && d.TryGetValue<double>(out var x) && x is >= int.MinValue and <= int.MaxValue ? (int)x
        : Invalid(field, fallback, "is not a usable integer");

    public int? OptInt(string field) => Has(field) ? Int(field, 0) : null;

    public double? OptNumber(string field) => node[field] is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

    public bool Bool(string field, bool fallback) =>
        node[field] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : fallback;

    public long Bytes(string field, long fallback) => OptBytes(field) ?? fallback;

    public long? OptBytes(string field) => node[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.GetValueKind() == JsonValueKind.String =>
            Quantities.Bytes(v.GetValue<string>()) ?? Invalid<long?>(field, null, "is too large to be a size"),
        _ => Invalid<long?>(field, null, "is not a size"),
    };

    public long? OptBits(string field) => Has(field)
        ? Quantities.BitsPerSecond(Str(field)) switch
        {
            null => Invalid<long?>(field, null, "is too large to be a bandwidth"),
            < 1000 => Invalid<long?>(field, null, "is below 1 Kbps: no migration could finish over it"),
            var bits => bits,
        }
        : null;

    public TimeSpan Duration(string field, TimeSpan fallback) => OptDuration(field) ?? fallback;

    /// <summary>A duration no longer than <paramref name="max"/> (what the calendar can expand), else RC1020 and the fallback.</summary>
    public TimeSpan Duration(string field, TimeSpan fallback, TimeSpan max) =>
        OptDuration(field) is { } value ? value <= max ? value : Invalid(field, fallback, $"is longer than the {Quantities.FormatDuration(max)} Reconcile plans ahead") : fallback;

    public TimeSpan? OptDuration(string field) => Has(field)
        ? Quantities.Duration(Str(field)) ?? Invalid<TimeSpan?>(field, null, "is too long to be a duration")
        : null;

    public DateTimeOffset? OptTimestamp(string field)
    {
        if (!Has(field))
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(Str(field), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var value))
        {
            return Invalid<DateTimeOffset?>(field, null, "is not a real date and time");
        }

        // The window calendar looks decades around a date; outside these years it would leave the representable range.
        return value.UtcDateTime.Year is >= EarliestYear and <= LatestYear ? value
            : Invalid<DateTimeOffset?>(field, null, $"is outside the years {EarliestYear} to {LatestYear} a campaign can be planned in");
    }

    public ImmutableArray<string> Strings(string field) =>
        node[field] is JsonArray a
            ? [.. a.OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>())]
            : [];

    public ImmutableDictionary<string, string> Map(string field) =>
        node[field] is JsonObject o
            ? o.Where(p => p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                .ToImmutableDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal)
            : ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    public NodeReader? Object(string field) =>
        node[field] is JsonObject o ? new NodeReader(o, At.Child(field), diagnostics) : null;

    /// <summary>The object field, or an empty one so that defaults apply.</summary>
    public NodeReader ObjectOrEmpty(string field) => Object(field) ?? new NodeReader([], At.Child(field), diagnostics);

    public ImmutableArray<T> List<T>(string field, Func<NodeReader, T> bind)
    {
        if (node[field] is not JsonArray array)
        {
            return [];
        }

        var builder = ImmutableArray.CreateBuilder<T>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonObject item)
            {
                builder.Add(bind(new NodeReader(item, At.Child(field, i), diagnostics)));
            }
        }

        return builder.ToImmutable();
    }

    public void Report(Diagnostic diagnostic) => diagnostics.Write(diagnostic);

    private T Invalid<T>(string field, T fallback, string problem)
    {
        diagnostics.Write(DiagnosticCatalog.InvalidValue.At(At.At(field),
            $"{Schema.PlanSchema.FieldPath(At.Child(field).Pointer)} {problem}"));
        return fallback;
    }
}
