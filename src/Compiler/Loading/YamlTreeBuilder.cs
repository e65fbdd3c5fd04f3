using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Reconcile.Compiler.Loading;

/// <summary>
/// Turns the parser's event stream into one <see cref="YamlTreeNode"/> per document, enforcing the
/// limits that keep hostile input cheap: alias expansion (a "billion laughs" file is refused at the
/// alias that crosses the bound, before anything is expanded), nesting depth, duplicate and
/// non-scalar keys.
/// </summary>
internal sealed class YamlTreeBuilder
{
    public const long MaxExpandedNodesPerDocument = 1_000_000;
    public const int MaxDepth = 64;

    /// <summary>The text a document may expand to through aliases: what the largest file may hold.</summary>
    public const long MaxExpandedCharactersPerDocument = PlanLoader.MaxFileBytes;

    public const string DuplicateKeyKind = "duplicate-key";
    public const string TooComplexKind = "too-complex";
    public const string UnsupportedKeyKind = "unsupported-key";

    /// <summary>Reads every document; <paramref name="onDocument"/> receives each as soon as it is complete.</summary>
    public static void Read(TextReader text, Action<YamlTreeNode?, Mark> onDocument)
    {
        var parser = new Parser(text);
        try
        {
            ReadStream(parser, onDocument);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 18 throws this instead of a YamlException for some broken flow collections;
            // the last event it produced is the closest position we have.
            throw new YamlTreeException("syntax", parser.Current?.Start ?? Mark.Empty,
                "the YAML cannot be parsed after this point; is a { or [ left unclosed?");
        }
    }

    private static void ReadStream(Parser parser, Action<YamlTreeNode?, Mark> onDocument)
    {
        parser.Consume<StreamStart>();
        // Short scalars repeat (every key, and values such as a namespace or a storage class): kept once per
        // file, they cost the tree, its JSON copy and the model one string each (a third of a large plan's tree).
        var strings = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!parser.TryConsume<StreamEnd>(out _))
        {
            var start = parser.Consume<DocumentStart>();
            var anchors = new Dictionary<string, YamlTreeNode>(StringComparer.Ordinal);
            var root = ReadNode(parser, anchors, depth: 0, strings);
            parser.Consume<DocumentEnd>();
            if (root.Weight > MaxExpandedNodesPerDocument)
            {
                throw new YamlTreeException(TooComplexKind, start.Start,
                    $"document expands to more than {MaxExpandedNodesPerDocument:N0} nodes");
            }

            onDocument(IsEmptyDocument(root) ? null : root, start.Start);
        }
    }

    private const int SharedStringLength = 64;

    private static string Shared(Dictionary<string, string> strings, string value)
    {
        if (value.Length > SharedStringLength)
        {
            return value;
        }

        if (strings.TryGetValue(value, out var shared))
        {
            return shared;
        }

        strings[value] = value;
        return value;
    }

    private static bool IsEmptyDocument(YamlTreeNode root) =>
        root is YamlScalarNode { Style: ScalarStyle.Plain, Value.Length: 0, Tag: null };

    private static YamlTreeNode ReadNode(IParser parser, Dictionary<string, YamlTreeNode> anchors, int depth, Dictionary<string, string> strings)
    {
        if (depth > MaxDepth)
        {
            throw new YamlTreeException(TooComplexKind, parser.Current!.Start, $"nesting deeper than {MaxDepth} levels");
        }

        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!anchors.TryGetValue(alias.Value.Value, out var target))
            {
                throw new YamlTreeException("syntax", alias.Start, $"alias *{alias.Value.Value} refers to no anchor");
            }

            return target;
        }

        YamlTreeNode node;
        NodeEvent opening;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            opening = scalar;
            node = new YamlScalarNode(scalar.Start, Shared(strings, scalar.Value), scalar.Style, TagOf(scalar));
        }
        else if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            opening = sequenceStart;
            var sequence = new YamlSequenceNode(sequenceStart.Start);
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                var at = parser.Current?.Start ?? sequenceStart.Start;
                sequence.Add(ReadNode(parser, anchors, depth + 1, strings));
                EnsureBudget(sequence, at, anchors.Count > 0);
            }

            node = sequence;
        }
        else
        {
            var mappingStart = parser.Consume<MappingStart>();
            opening = mappingStart;
            var mapping = new YamlMappingNode(mappingStart.Start);
            var keys = new HashSet<string>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(parser, anchors, depth + 1, strings);
                if (keyNode is not YamlScalarNode key)
                {
                    throw new YamlTreeException(UnsupportedKeyKind, keyNode.Start, "a mapping key must be a plain scalar, not a list or a mapping");
                }

                if (key.Style == ScalarStyle.Plain && key.Value == "<<")
                {
                    throw new YamlTreeException(UnsupportedKeyKind, key.Start, "YAML merge keys (<<) are not supported in plans");
                }

                // A set, not a scan of the entries: a flat mapping of many keys stays linear.
                if (!keys.Add(key.Value))
                {
                    throw new YamlTreeException(DuplicateKeyKind, key.Start, $"key '{key.Value}' appears twice in the same mapping");
                }

                var at = parser.Current?.Start ?? key.Start;
                mapping.Add(key, ReadNode(parser, anchors, depth + 1, strings));
                EnsureBudget(mapping, at, anchors.Count > 0);
            }

            node = mapping;
        }

        if (!opening.Anchor.IsEmpty)
        {
            anchors[opening.Anchor.Value] = node;
        }

        return node;
    }

    /// <summary>Throws at <paramref name="at"/> (where the value just added begins) once the document expands beyond the bounds.</summary>
    private static void EnsureBudget(YamlTreeNode growing, Mark at, bool aliases)
    {
        string Beyond(string bound) => aliases ? $"aliases expand this document to more than {bound}" : $"this document holds more than {bound}; split it into several files";
        if (growing.Weight > MaxExpandedNodesPerDocument)
        {
            throw new YamlTreeException(TooComplexKind, at,
                Beyond($"{MaxExpandedNodesPerDocument:N0} nodes"));
        }

        if (growing.Characters > MaxExpandedCharactersPerDocument)
        {
            throw new YamlTreeException(TooComplexKind, at,
                Beyond($"{MaxExpandedCharactersPerDocument / (1024 * 1024)} MiB of text"));
        }
    }

    private static string? TagOf(Scalar scalar) => scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
}
