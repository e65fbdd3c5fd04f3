using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Reconcile.Compiler.Loading;

/// <summary>
/// A YAML node with its position. Aliases point at the anchored node itself (no copy), so the tree
/// stays as small as the text; <see cref="Weight"/> says how many nodes it would expand to and
/// <see cref="Characters"/> how much text (a 1 MiB anchor behind a thousand aliases is a gigabyte).
/// </summary>
internal abstract class YamlTreeNode(Mark start)
{
    public Mark Start { get; } = start;

    public long Weight { get; protected set; } = 1;

    public long Characters { get; protected set; }
}

internal sealed class YamlScalarNode : YamlTreeNode
{
    public YamlScalarNode(Mark start, string value, ScalarStyle style, string? tag)
        : base(start)
    {
        Value = value;
        Style = style;
        Tag = tag;
        Characters = value.Length;
    }

    public string Value { get; }

    public ScalarStyle Style { get; }

    public string? Tag { get; }
}

internal sealed class YamlMappingNode(Mark start) : YamlTreeNode(start)
{
    public List<(YamlScalarNode Key, YamlTreeNode Value)> Entries { get; } = [];

    public void Add(YamlScalarNode key, YamlTreeNode value)
    {
        Entries.Add((key, value));
        Weight += 1 + value.Weight;
        Characters += key.Characters + value.Characters;
    }
}

internal sealed class YamlSequenceNode(Mark start) : YamlTreeNode(start)
{
    public List<YamlTreeNode> Items { get; } = [];

    public void Add(YamlTreeNode item)
    {
        Items.Add(item);
        Weight += item.Weight;
        Characters += item.Characters;
    }
}

/// <summary>A YAML problem found while building the tree, positioned where it happened.</summary>
internal sealed class YamlTreeException(string kind, Mark mark, string message) : Exception(message)
{
    public string Kind { get; } = kind;

    public Mark Mark { get; } = mark;
}
