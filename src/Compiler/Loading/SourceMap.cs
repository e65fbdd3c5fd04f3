using Reconcile.Compiler.Diagnostics;
using YamlDotNet.Core;

namespace Reconcile.Compiler.Loading;

/// <summary>
/// Where each JSON value of a document came from. Pointers are RFC 6901 JSON pointers relative to
/// the document root ("" is the root). Positions are looked up in the YAML tree itself, which keeps
/// every node's mark, so a large plan pays nothing for the map until a diagnostic asks for a position.
/// </summary>
public sealed class SourceMap
{
    private readonly YamlTreeNode? root;

    internal SourceMap(string file, YamlTreeNode? root, string textDigest)
    {
        File = file;
        this.root = root;
        TextDigest = textDigest;
    }

    public string File { get; }

    /// <summary>
    /// SHA-256 of the whole text of <see cref="File"/> (every document in it, comments and positions
    /// included): two compilations whose inputs have the same digests read the same positions too.
    /// </summary>
    public string TextDigest { get; }

    /// <summary>Whether the document has a value at <paramref name="pointer"/>.</summary>
    public bool Contains(string pointer) => Walk(pointer, out _, out _) == pointer.Length;

    /// <summary>The location of the value at <paramref name="pointer"/>, or of its nearest ancestor that exists.</summary>
    public SourceLocation ValueAt(string pointer)
    {
        Walk(pointer, out var node, out _);
        return node is null ? SourceLocation.StartOf(File) : At(node.Start);
    }

    /// <summary>The location of the key that introduces <paramref name="pointer"/>, falling back to its value.</summary>
    public SourceLocation KeyAt(string pointer)
    {
        var reached = Walk(pointer, out var node, out var key);
        return reached == pointer.Length && key is not null ? At(key.Start) : node is null ? SourceLocation.StartOf(File) : At(node.Start);
    }

    /// <summary>Follows the pointer as far as the tree goes; returns how much of it was matched.</summary>
    private int Walk(string pointer, out YamlTreeNode? node, out YamlScalarNode? key)
    {
        node = root;
        key = null;
        if (root is null)
        {
            return 0;
        }

        var matched = 0;
        foreach (var token in Tokens(pointer))
        {
            YamlTreeNode? next = null;
            YamlScalarNode? nextKey = null;
            switch (node)
            {
                case YamlMappingNode mapping:
                    foreach (var (k, v) in mapping.Entries)
                    {
                        if (k.Value == token)
                        {
                            (next, nextKey) = (v, k);
                            break;
                        }
                    }

                    break;
                case YamlSequenceNode sequence when int.TryParse(token, out var index) && index >= 0 && index < sequence.Items.Count:
                    next = sequence.Items[index];
                    break;
            }

            if (next is null)
            {
                key = null;
                return matched;
            }

            (node, key) = (next, nextKey);
            matched = pointer.IndexOf('/', matched + 1) is var slash && slash < 0 ? pointer.Length : slash;
        }

        return matched;
    }

    private SourceLocation At(Mark mark) => new(File, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    public static string Parent(string pointer)
    {
        var slash = pointer.LastIndexOf('/');
        return slash <= 0 ? "" : pointer[..slash];
    }

    public static string Append(string pointer, string token) =>
        pointer + "/" + token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    /// <summary>The RFC 6901 reference tokens of a pointer, unescaped ("/a~1b/0" gives "a/b", "0").</summary>
    public static IEnumerable<string> Tokens(string pointer) =>
        pointer.Split('/').Skip(1).Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal));

    public static string Append(string pointer, int index) => pointer + "/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
