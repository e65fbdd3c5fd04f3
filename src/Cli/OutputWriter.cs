using System.Collections.Concurrent;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Rendering;

namespace Reconcile.Cli;

/// <summary>
/// Writes an output directory file by file while the compiler renders, so that no run holds its whole
/// output in memory, and makes it visible only at <see cref="Commit"/>: until then a new directory is
/// a hidden sibling (renamed into place at the end) and an update writes changed files beside the old
/// ones under <see cref="OutputDirectory.TemporarySuffix"/> (renamed over them at the end). Disposing
/// without committing takes back everything it wrote, so a compile that fails leaves DIR as it was.
/// The directory must already have been judged Reconcile's own (<see cref="OutputDirectory.Refusal"/>).
/// Workers call <see cref="Add"/> concurrently; the first I/O failure is kept, later files are
/// dropped, and <see cref="Commit"/> reports it.
/// </summary>
public sealed class OutputWriter : IFileSink, IDisposable
{
    private readonly string full;
    private readonly string? staging;
    private readonly HashSet<string>? present;
    private readonly ConcurrentDictionary<string, Lazy<bool>> directories = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<string> written = [];
    private readonly ConcurrentQueue<(string Temporary, string Path)> replacements = new();
    private Exception? failure;
    private bool committed;

    private OutputWriter(string full, string? staging, HashSet<string>? present)
    {
        (this.full, this.staging, this.present) = (full, staging, present);
    }

    /// <summary>How many files were added.</summary>
    public int Count => written.Count;

    /// <summary>Starts writing <paramref name="full"/>: an update of an earlier run's output (its marker is there), or a new tree.</summary>
    public static OutputWriter Begin(string full)
    {
        if (!File.Exists(Path.Combine(full, OutputDirectory.MarkerFile)))
        {
            var parent = Path.GetDirectoryName(full) ?? ".";
            Directory.CreateDirectory(parent);
            var staging = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
            Directory.CreateDirectory(staging);
            return new OutputWriter(full, staging, null);
        }

        var all = Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => Path.GetRelativePath(full, p).Replace('\\', '/')).Where(p => p != OutputDirectory.MarkerFile).ToList();
        foreach (var leftover in all.Where(IsTemporary))
        {
            File.Delete(Path.Combine(full, leftover));
        }

        return new OutputWriter(full, null, all.Where(p => !IsTemporary(p)).ToHashSet(StringComparer.Ordinal));
    }

    public void Add(string path, string content) =>
        Write(path, target => File.WriteAllText(target, content), existing => File.ReadAllText(existing) == content);

    public void Add(string path, Action<Stream> write) => Write(path, target =>
    {
        using var file = File.Create(target);
        write(file);
    }, unchanged: null);

    /// <param name="unchanged">Whether the file already there holds what would be written; null: write, then compare the bytes.</param>
    private void Write(string path, Action<string> writeTo, Func<string, bool>? unchanged)
    {
        if (Volatile.Read(ref failure) is not null)
        {
            return;
        }

        try
        {
            written.Add(path);
            var target = Path.Combine(staging ?? full, path);
            EnsureDirectory(Path.GetDirectoryName(target)!);
            if (staging is not null)
            {
                writeTo(target);
                return;
            }

            // An unchanged file is left as it is: rewriting tens of thousands of them cost more than the compile on a slow disk.
            var there = present!.Contains(path) && FileKinds.Of(target) == EntryKind.Regular;
            if (there && unchanged?.Invoke(target) == true)
            {
                return;
            }

            var temporary = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}{OutputDirectory.TemporarySuffix}");
            writeTo(temporary);
            if (there && unchanged is null && SameBytes(temporary, target))
            {
                File.Delete(temporary);
                return;
            }

            replacements.Enqueue((temporary, target));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Interlocked.CompareExchange(ref failure, e, null);
        }
    }

    private static bool SameBytes(string a, string b)
    {
        using var first = File.OpenRead(a);
        using var second = File.OpenRead(b);
        if (first.Length != second.Length)
        {
            return false;
        }

        var (x, y) = (new byte[1 << 16], new byte[1 << 16]);
        for (int read; (read = first.Read(x)) > 0;)
        {
            second.ReadExactly(y.AsSpan(0, read));
            if (!x.AsSpan(0, read).SequenceEqual(y.AsSpan(0, read)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Makes what was added the directory's whole content; returns why it could not (DIR is then as it was).</summary>
    public string? Commit()
    {
        if (failure is not null)
        {
            return failure.Message;
        }

        try
        {
            if (staging is not null)
            {
                ReplaceWithStaging();
            }
            else
            {
                ApplyUpdate();
            }

            committed = true;
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    public void Dispose()
    {
        if (committed)
        {
            return;
        }

        try
        {
            TakeBack();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: what is left is a hidden staging folder or temporary files, which the next run removes or ignores.
        }
    }

    private void TakeBack()
    {
        if (staging is not null)
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            return;
        }

        foreach (var (temporary, _) in replacements)
        {
            File.Delete(temporary);
        }

        // Folders made for files that never arrived: emptied again, deepest first.
        foreach (var directory in directories.Keys.OrderByDescending(d => d.Length))
        {
            if (directory.Length > full.Length && Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
            {
                Directory.Delete(directory);
            }
        }
    }

    private static bool IsTemporary(string path) => path.EndsWith(OutputDirectory.TemporarySuffix, StringComparison.Ordinal);

    private void EnsureDirectory(string directory)
    {
        if (!directories.GetOrAdd(directory, d => new Lazy<bool>(() => Directory.Exists(d) || Directory.CreateDirectory(d).Exists)).Value)
        {
            throw new IOException($"cannot create '{directory}'");
        }
    }

    private void ReplaceWithStaging()
    {
        File.WriteAllLines(Path.Combine(staging!, OutputDirectory.MarkerFile), written.Order(StringComparer.Ordinal));
        var previous = Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.old-{Guid.NewGuid():N}");
        if (Directory.Exists(full))
        {
            Directory.Move(full, previous);
        }

        try
        {
            Directory.Move(staging!, full);
        }
        catch
        {
            if (Directory.Exists(previous) && !Directory.Exists(full))
            {
                Directory.Move(previous, full);
            }

            throw;
        }

        if (Directory.Exists(previous))
        {
            Directory.Delete(previous, recursive: true);
        }
    }

    /// <summary>
    /// While files are renamed into place and stale ones deleted, the marker lists every file that may be
    /// there, so an interrupted run leaves a directory the next run still takes as its own.
    /// </summary>
    private void ApplyUpdate()
    {
        var names = written.ToHashSet(StringComparer.Ordinal);
        WriteMarker(present!.Union(names));
        foreach (var (temporary, path) in replacements)
        {
            File.Move(temporary, path, overwrite: true);
        }

        var stale = present!.Where(p => !names.Contains(p)).ToList();
        foreach (var path in stale)
        {
            File.Delete(Path.Combine(full, path));
        }

        // Directories the deletions emptied, deepest first.
        foreach (var directory in stale.Select(p => Path.GetDirectoryName(Path.Combine(full, p))!).Distinct(StringComparer.Ordinal).OrderByDescending(d => d.Length))
        {
            for (var dir = directory; dir.Length > full.Length && Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any(); dir = Path.GetDirectoryName(dir)!)
            {
                Directory.Delete(dir);
            }
        }

        WriteMarker(names);
    }

    private void WriteMarker(IEnumerable<string> names)
    {
        var temporary = Path.Combine(full, OutputDirectory.MarkerFile + OutputDirectory.TemporarySuffix);
        File.WriteAllLines(temporary, names.Order(StringComparer.Ordinal));
        File.Move(temporary, Path.Combine(full, OutputDirectory.MarkerFile), overwrite: true);
    }
}
