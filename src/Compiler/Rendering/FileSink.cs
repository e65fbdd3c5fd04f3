namespace Reconcile.Compiler.Rendering;

/// <summary>
/// Where rendered files go as soon as each is complete, so that a large campaign's output never has to
/// be held whole (400,000 files and 0.8 GB at 100,000 VMs). Workers that render in parallel call
/// <see cref="Add"/> at the same time; paths are relative to the output directory and unique.
/// </summary>
public interface IFileSink
{
    void Add(string path, string content);

    /// <summary>A large file (graph.json is 160 MB at 100,000 VMs) written as UTF-8 straight to where it goes, never held as one string.</summary>
    void Add(string path, Action<Stream> write);
}

/// <summary>Files kept in memory, by path in ordinal order: what tests, diff and the reconciler read.</summary>
public sealed class FileCollection : IFileSink
{
    private readonly Lock gate = new();

    public SortedDictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    public void Add(string path, string content)
    {
        lock (gate)
        {
            Files[path] = content;
        }
    }

    public void Add(string path, Action<Stream> write)
    {
        using var buffer = new MemoryStream();
        write(buffer);
        Add(path, System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }
}

/// <summary>Files of one plan among several: each under the plan's own folder.</summary>
public sealed class PrefixedFileSink(IFileSink inner, string prefix) : IFileSink
{
    public void Add(string path, string content) => inner.Add(prefix + path, content);

    public void Add(string path, Action<Stream> write) => inner.Add(prefix + path, write);
}
