using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Reconcile.Reconciler.Discovery;

/// <summary>A YAML value to write: a scalar, a sequence or a mapping, each entry with an optional comment.</summary>
public abstract record YamlValue;

/// <summary>
/// A scalar. <paramref name="Text"/> comes from a cluster, so it is quoted unless it is plainly a
/// string YAML cannot read as anything else; <paramref name="Plain"/> marks text Reconcile formatted
/// itself (quantities, durations, numbers, booleans), written as is.
/// </summary>
public sealed record YamlScalar(string Text, bool Plain = false) : YamlValue
{
    public static YamlScalar Of(string text) => new(text);

    public static YamlScalar Raw(string text) => new(text, true);

    public static YamlScalar Of(long number) => new(number.ToString(CultureInfo.InvariantCulture), true);

    public static YamlScalar Of(bool value) => new(value ? "true" : "false", true);
}

/// <summary>A sequence; <paramref name="Flow"/> writes it on one line ([a, b]); in block style <paramref name="Comments"/> (by index, may be shorter) end the items' lines.</summary>
public sealed record YamlSequence(IReadOnlyList<YamlValue> Items, bool Flow = false, IReadOnlyList<string?>? Comments = null) : YamlValue;

/// <summary>A mapping in the order given; <paramref name="Flow"/> writes it on one line ({a: 1, b: 2}).</summary>
public sealed record YamlMapping(IReadOnlyList<YamlEntry> Entries, bool Flow = false) : YamlValue;

/// <param name="Value">Null for a field left out: only its comment is written ("# key: comment").</param>
/// <param name="Comment">Written after the value on its line (a flow or scalar value), or above the key (a block value).</param>
public sealed record YamlEntry(string Key, YamlValue? Value, string? Comment = null);

/// <summary>
/// Writes a <see cref="YamlValue"/> as block YAML with comments. Values from clusters are quoted the
/// JSON way unless plainly safe, comments are one line each with control characters replaced, so what a
/// cluster holds never changes the document's structure.
/// </summary>
public static partial class YamlText
{
    public static void Write(StringBuilder text, YamlMapping root) => WriteMapping(text, root, 0);

    /// <summary>A comment line (or lines) at <paramref name="indent"/>.</summary>
    public static void Comment(StringBuilder text, string comment, int indent = 0)
    {
        foreach (var line in comment.Split('\n'))
        {
            text.Append(' ', indent).Append('#');
            if (line.Length > 0)
            {
                text.Append(' ').Append(Sanitize(line));
            }

            text.Append('\n');
        }
    }

    private static void WriteMapping(StringBuilder text, YamlMapping map, int indent, bool firstInline = false)
    {
        var first = firstInline;
        foreach (var entry in map.Entries)
        {
            if (entry.Value is null)
            {
                Comment(text, $"{entry.Key}: {entry.Comment}", indent);
                continue;
            }

            var block = entry.Value is YamlMapping { Flow: false, Entries.Count: > 0 } or YamlSequence { Flow: false, Items.Count: > 0 };
            if (block && entry.Comment is { } above && !first)
            {
                Comment(text, above, indent);
            }

            if (!first)
            {
                text.Append(' ', indent);
            }

            first = false;
            text.Append(Key(entry.Key)).Append(':');
            if (block)
            {
                text.Append('\n');
                if (entry.Value is YamlMapping child)
                {
                    WriteMapping(text, child, indent + 2);
                }
                else
                {
                    WriteSequence(text, (YamlSequence)entry.Value, indent + 2);
                }

                continue;
            }

            text.Append(' ').Append(Inline(entry.Value));
            if (entry.Comment is { } after)
            {
                text.Append("  # ").Append(Sanitize(after));
            }

            text.Append('\n');
        }
    }

    private static void WriteSequence(StringBuilder text, YamlSequence sequence, int indent)
    {
        foreach (var (item, index) in sequence.Items.Select((item, index) => (item, index)))
        {
            text.Append(' ', indent).Append("- ");
            if (item is YamlMapping { Flow: false, Entries.Count: > 0 } map)
            {
                WriteMapping(text, map, indent + 2, firstInline: true);
                continue;
            }

            text.Append(Inline(item));
            if (sequence.Comments?.ElementAtOrDefault(index) is { } comment)
            {
                text.Append("  # ").Append(Sanitize(comment));
            }

            text.Append('\n');
        }
    }

    /// <summary>A value on one line: a scalar, [a, b] or {a: 1, b: 2}.</summary>
    public static string Inline(YamlValue value) => value switch
    {
        YamlScalar scalar => scalar.Plain ? scalar.Text : Quote(scalar.Text),
        YamlSequence sequence => "[" + string.Join(", ", sequence.Items.Select(Inline)) + "]",
        YamlMapping map => "{" + string.Join(", ", map.Entries.Where(e => e.Value is not null).Select(e => $"{Key(e.Key)}: {Inline(e.Value!)}")) + "}",
        _ => throw new ArgumentOutOfRangeException(nameof(value)),
    };

    private static string Key(string key) => PlainSafe().IsMatch(key) && !Reserved(key) ? key : Quote(key);

    /// <summary>The text as a plain scalar where YAML reads it back as that same string, else double-quoted.</summary>
    public static string Quote(string text) =>
        PlainSafe().IsMatch(text) && !Reserved(text)
            ? text
            : System.Text.Json.JsonSerializer.Serialize(text, QuoteOptions);

    private static readonly System.Text.Json.JsonSerializerOptions QuoteOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Words YAML 1.1 or 1.2 reads as booleans or null.</summary>
    private static bool Reserved(string text) =>
        text.ToLowerInvariant() is "true" or "false" or "yes" or "no" or "on" or "off" or "y" or "n" or "null" or "~";

    private static string Sanitize(string comment) => ControlCharacters().Replace(comment, " ");

    // A letter first (so no number, date, or indicator), then letters, digits and . _ / - only.
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9._/-]*$")]
    private static partial Regex PlainSafe();

    [GeneratedRegex("[\\u0000-\\u001f\\u007f\\u0085\\u2028\\u2029]")]
    private static partial Regex ControlCharacters();
}
