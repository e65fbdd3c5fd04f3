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
    // A position as two ints rather than YamlDotNet's Mark (three longs): a 100,000-VM plan keeps millions of nodes.
    private readonly int line = (int)Math.Min(start.Line, int.MaxValue);
    private readonly int column = (int)Math.Min(start.Column, int.MaxValue);

    public Mark Start => new(0, line, column);

    /// <summary>How many nodes this one expands to (aliases counted at every use).</summary>
    public abstract long Weight { get; }

    /// <summary>How much scalar text this one expands to.</summary>
    public abstract long Characters { get; }
}

internal sealed class YamlScalarNode(Mark start, string value, ScalarStyle style, string? tag) : YamlTreeNode(start)
{
    public string Value { get; } = value;

    public ScalarStyle Style { get; } = style;

    public string? Tag { get; } = tag;

    public override long Weight => 1;

    public override long Characters => Value.Length;
}

internal sealed class YamlMappingNode(Mark start) : YamlTreeNode(start)
{
    private long weight = 1;
    private long characters;

    public List<(YamlScalarNode Key, YamlTreeNode Value)> Entries { get; } = [];

    public override long Weight => weight;

    public override long Characters => characters;

    public void Add(YamlScalarNode key, YamlTreeNode value)
    {
        Entries.Add((key, value));
        weight += 1 + value.Weight;
        characters += key.Characters + value.Characters;
    }
}

internal sealed class YamlSequenceNode(Mark start) : YamlTreeNode(start)
{
    private long weight = 1;
    private long characters;

    public List<YamlTreeNode> Items { get; } = [];

    public override long Weight => weight;

    public override long Characters => characters;

    public void Add(YamlTreeNode item)
    {
        Items.Add(item);
        weight += item.Weight;
        characters += item.Characters;
    }
}

/// <summary>A YAML problem found while building the tree, positioned where it happened.</summary>
internal sealed class YamlTreeException(string kind, Mark mark, string message) : Exception(message)
{
    public string Kind { get; } = kind;

    public Mark Mark { get; } = mark;
}
