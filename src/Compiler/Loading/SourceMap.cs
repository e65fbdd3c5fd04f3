using Reconcile.Compiler.Diagnostics;

namespace Reconcile.Compiler.Loading;

/// <summary>
/// Where each JSON value of a document came from. Keys are RFC 6901 JSON pointers relative to the
/// document root ("" is the root); a property also remembers where its key was written, so that an
/// unknown field can be reported at the key itself.
/// </summary>
public sealed class SourceMap(string file)
{
    private readonly Dictionary<string, SourceLocation> values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourceLocation> keys = new(StringComparer.Ordinal);

    public string File { get; } = file;

    internal void AddValue(string pointer, SourceLocation location) => values.TryAdd(pointer, location);

    internal void AddKey(string pointer, SourceLocation location) => keys.TryAdd(pointer, location);

    /// <summary>Whether the document has a value at <paramref name="pointer"/>.</summary>
    public bool Contains(string pointer) => values.ContainsKey(pointer);

    /// <summary>The location of the value at <paramref name="pointer"/>, or of its nearest ancestor that exists.</summary>
    public SourceLocation ValueAt(string pointer)
    {
        for (var p = pointer; ; p = Parent(p))
        {
            if (values.TryGetValue(p, out var location))
            {
                return location;
            }

            if (p.Length == 0)
            {
                return SourceLocation.StartOf(File);
            }
        }
    }

    /// <summary>The location of the key that introduces <paramref name="pointer"/>, falling back to its value.</summary>
    public SourceLocation KeyAt(string pointer) =>
        keys.TryGetValue(pointer, out var location) ? location : ValueAt(pointer);

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
