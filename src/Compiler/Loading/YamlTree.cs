using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Reconcile.Compiler.Loading;

/// <summary>
/// A YAML node with its position. Aliases point at the anchored node itself (no copy), so the tree
/// stays as small as the text; <see cref="Weight"/> says how many nodes it would expand to.
/// </summary>
internal abstract class YamlTreeNode(Mark start)
{
    public Mark Start { get; } = start;

    public long Weight { get; protected set; } = 1;
}

internal sealed class YamlScalarNode(Mark start, string value, ScalarStyle style, string? tag) : YamlTreeNode(start)
{
    public string Value { get; } = value;

    public ScalarStyle Style { get; } = style;

    public string? Tag { get; } = tag;
}

internal sealed class YamlMappingNode(Mark start) : YamlTreeNode(start)
{
    public List<(YamlScalarNode Key, YamlTreeNode Value)> Entries { get; } = [];

    public void Add(YamlScalarNode key, YamlTreeNode value)
    {
        Entries.Add((key, value));
        Weight += 1 + value.Weight;
    }
}

internal sealed class YamlSequenceNode(Mark start) : YamlTreeNode(start)
{
    public List<YamlTreeNode> Items { get; } = [];

    public void Add(YamlTreeNode item)
    {
        Items.Add(item);
        Weight += item.Weight;
    }
}

/// <summary>A YAML problem found while building the tree, positioned where it happened.</summary>
internal sealed class YamlTreeException(string kind, Mark mark, string message) : Exception(message)
{
    public string Kind { get; } = kind;

    public Mark Mark { get; } = mark;
}
