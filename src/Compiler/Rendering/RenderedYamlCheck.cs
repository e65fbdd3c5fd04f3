using System.Collections.Concurrent;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Reconcile.Compiler.Rendering;

/// <summary>
/// Whether a rendered template is one well-formed YAML document holding one object: a mapping at the
/// root (with a top-level `kind` when a Kubernetes object is expected) and no key twice in any mapping.
/// It reads YamlDotNet's event stream only, without building a tree, because it runs once per rendered
/// object (tens of thousands for a large fleet); the reconciler parses the files for real when it
/// applies them.
/// </summary>
/// <remarks>
/// Objects of one template differ mostly in their quoted values, and the content of a well-formed
/// double-quoted scalar cannot change a document's structure. So a text is first reduced to its
/// skeleton: every double-quoted value (not key) that starts where a scalar may start, holds only
/// YAML's escapes and no line break, becomes <c>""</c>. A skeleton that passed once passes again;
/// anything else (a new skeleton, an odd escape, a quoted line break) is parsed in full.
/// </remarks>
internal sealed class RenderedYamlCheck
{
    private readonly ConcurrentDictionary<string, byte> passed = new(StringComparer.Ordinal);
    private int fullParses;

    /// <summary>How many texts were parsed in full (for tests).</summary>
    public int FullParses => fullParses;

    /// <summary>Null when the text is one such object, else what is wrong with it.</summary>
    public string? Check(string text, bool expectKind)
    {
        // The skeleton is built in a buffer kept per thread and looked up as a span: a string is made only
        // for a skeleton seen for the first time (this runs for every rendered object).
        var shape = shapeBuffer ??= new StringBuilder(1 << 14);
        shape.Clear().Append(expectKind ? 'k' : '-');
        var plain = AppendSkeleton(text, shape);
        if (plain && Passed(shape))
        {
            return null;
        }

        Interlocked.Increment(ref fullParses);
        var problem = Problem(text, expectKind);
        if (problem is null && plain)
        {
            passed.TryAdd(shape.ToString(), 0);
        }

        return problem;
    }

    [ThreadStatic]
    private static StringBuilder? shapeBuffer;

    private bool Passed(StringBuilder shape)
    {
        var chunks = shape.GetChunks();
        if (chunks.MoveNext() && chunks.Current.Length == shape.Length)
        {
            return passed.GetAlternateLookup<ReadOnlySpan<char>>().ContainsKey(chunks.Current.Span);
        }

        return passed.ContainsKey(shape.ToString());
    }

    /// <summary>
    /// The text with its double-quoted values emptied, or null when the text is not plain enough for that
    /// to be safe: it may hold plain scalars, "key": and "value" double-quoted scalars after ": " or a
    /// line's "- ", and empty {} or []; anything else (single quotes, comments, block scalars, anchors,
    /// tags, flow collections with content, a quoted scalar elsewhere, an escape YAML does not know, a
    /// quoted line break) is left to the full parse.
    /// </summary>
    internal static string? Skeleton(string text)
    {
        var shape = new StringBuilder(text.Length);
        return AppendSkeleton(text, shape) ? shape.ToString() : null;
    }

    /// <summary>Appends the skeleton of <paramref name="text"/> to <paramref name="shape"/>; false when the text is not plain enough (see <see cref="Skeleton"/>).</summary>
    private static bool AppendSkeleton(string text, StringBuilder shape)
    {
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is '{' or '[')
            {
                if (i + 1 >= text.Length || text[i + 1] != (c == '{' ? '}' : ']'))
                {
                    return false;
                }

                shape.Append(c).Append(text[i + 1]);
                i += 2;
                continue;
            }

            if (c is '\'' or '#' or '|' or '>' or '&' or '*' or '!' or '%' or '@' or '`' or '?' or '\t' or '}' or ']')
            {
                return false;
            }

            if (c != '"')
            {
                shape.Append(c);
                i++;
                continue;
            }

            var context = Context(text, i);
            if (context == Opening.None)
            {
                return false;
            }

            var end = i + 1;
            while (end < text.Length && text[end] != '"')
            {
                if (text[end] is '\n' or '\r')
                {
                    return false;
                }

                var length = text[end] == '\\' ? EscapeLength(text, end) : 1;
                if (length == 0)
                {
                    return false;
                }

                end += length;
            }

            if (end >= text.Length)
            {
                return false;
            }

            var after = end + 1;
            while (after < text.Length && text[after] == ' ')
            {
                after++;
            }

            var key = after < text.Length && text[after] == ':';
            if (!key && context == Opening.LineStart)
            {
                // A quoted line that is not a key may continue a plain scalar: parse it.
                return false;
            }

            // A key stays as it is (duplicate keys must still be found); a value's content goes.
            shape.Append(key ? text.AsSpan(i, end + 1 - i) : "\"\"");
            i = end + 1;
        }

        return true;
    }

    private enum Opening
    {
        None,
        LineStart,
        Value,
    }

    /// <summary>Where a quote at <paramref name="at"/> stands: first on its line (after "- " items), after ": ", or elsewhere.</summary>
    private static Opening Context(string text, int at)
    {
        var before = at - 1;
        var spaces = 0;
        while (before >= 0 && text[before] == ' ')
        {
            before--;
            spaces++;
        }

        if (before >= 0 && text[before] == ':' && spaces > 0)
        {
            return Opening.Value;
        }

        // Only spaces and "- " sequence indicators back to the line's start; after one, it is an item's value.
        var item = false;
        while (before >= 0 && text[before] != '\n')
        {
            if (text[before] == '-' && spaces > 0)
            {
                (item, spaces) = (true, 0);
                before--;
                continue;
            }

            if (text[before] != ' ')
            {
                return Opening.None;
            }

            spaces++;
            before--;
        }

        return item ? Opening.Value : Opening.LineStart;
    }

    /// <summary>The length of the escape at <paramref name="at"/> (a backslash) when YAML 1.2 knows it, else 0.</summary>
    private static int EscapeLength(string text, int at)
    {
        if (at + 1 >= text.Length)
        {
            return 0;
        }

        var hex = text[at + 1] switch { 'x' => 2, 'u' => 4, 'U' => 8, _ => -1 };
        if (hex < 0)
        {
            return text[at + 1] is '0' or 'a' or 'b' or 't' or 'n' or 'v' or 'f' or 'r' or 'e' or ' ' or '"' or '/' or '\\' or 'N' or '_' or 'L' or 'P' ? 2 : 0;
        }

        return at + 2 + hex <= text.Length && text.AsSpan(at + 2, hex).ContainsAnyExcept("0123456789abcdefABCDEF") is false ? 2 + hex : 0;
    }

    /// <summary>Null when the text is one such object, else what is wrong with it (always a full parse).</summary>
    public static string? Problem(string text, bool expectKind)
    {
        try
        {
            var parser = new Parser(new StringReader(text));
            var documents = 0;
            var rootIsMapping = false;
            var hasKind = false;
            // Per open collection: the keys seen (null for a sequence) and whether the next node is a key.
            var open = new Stack<(HashSet<string>? Keys, bool ExpectKey)>();
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                var isKey = current is not MappingEnd && open.Count > 0 && open.Peek().Keys is not null && open.Peek().ExpectKey;
                if (isKey)
                {
                    var (keys, _) = open.Pop();
                    open.Push((keys, false));
                    if (current is not Scalar key)
                    {
                        return "a mapping key that is not a plain value";
                    }

                    if (!keys!.Add(key.Value))
                    {
                        return $"the key \"{key.Value}\" appears twice";
                    }

                    hasKind |= open.Count == 1 && key.Value == "kind";
                    continue;
                }

                switch (current)
                {
                    case DocumentStart:
                        documents++;
                        break;
                    case MappingStart:
                        rootIsMapping |= open.Count == 0 && documents == 1;
                        AfterValue(open);
                        open.Push((new HashSet<string>(StringComparer.Ordinal), true));
                        break;
                    case SequenceStart:
                        AfterValue(open);
                        open.Push((null, false));
                        break;
                    case MappingEnd or SequenceEnd:
                        open.Pop();
                        break;
                    case Scalar or AnchorAlias:
                        AfterValue(open);
                        break;
                }
            }

            return documents != 1 || !rootIsMapping ? "something other than one Kubernetes object"
                : expectKind && !hasKind ? "something other than one Kubernetes object"
                : null;
        }
        catch (YamlException e)
        {
            return $"text that does not parse: {e.Message}";
        }
    }

    /// <summary>A value ended inside a mapping: the next node is a key again.</summary>
    private static void AfterValue(Stack<(HashSet<string>? Keys, bool ExpectKey)> open)
    {
        if (open.Count > 0 && open.Peek().Keys is { } keys)
        {
            open.Pop();
            open.Push((keys, true));
        }
    }
}
