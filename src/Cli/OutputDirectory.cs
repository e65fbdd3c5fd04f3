namespace Reconcile.Cli;

/// <summary>
/// Writes a set of files so that DIR holds exactly them. A new or empty DIR is written in a temporary
/// sibling directory first, which then takes its place. A DIR an earlier run wrote is updated in place,
/// touching only what changed (<see cref="Update"/>). Either way what DIR held may be deleted, so DIR
/// must be Reconcile's own: new, empty, or written by an earlier run (its marker file lists what that
/// run wrote, and nothing else may have been added since); and it may not overlap the inputs (the
/// plans, the templates) in either direction.
/// </summary>
public static class OutputDirectory
{
    /// <summary>The marker an output directory carries: the files the run wrote, one relative path per line.</summary>
    public const string MarkerFile = ".reconcile-output";

    /// <summary>The suffix of the files an update writes before renaming them into place; an interrupted run's are removed by the next.</summary>
    public const string TemporarySuffix = ".reconcile-tmp";

    /// <summary>Writes the files, or returns why it could not (nothing at DIR changed then).</summary>
    public static string? TryReplace(string directory, IReadOnlyDictionary<string, string> files, IEnumerable<string> inputs)
    {
        var full = Path.GetFullPath(directory);
        if (Refusal(full, inputs) is { } refusal)
        {
            return refusal;
        }

        try
        {
            Replace(full, files);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot write '{directory}': {e.Message}";
        }
    }

    /// <summary>Why <paramref name="full"/> may not be replaced; null when it may.</summary>
    public static string? Refusal(string full, IEnumerable<string> inputs)
    {
        if (File.Exists(full))
        {
            return $"'{full}' is a file, not a directory";
        }

        foreach (var input in inputs.Select(i => Path.TrimEndingDirectorySeparator(Path.GetFullPath(i))))
        {
            if (Within(input, full) || Within(full, input))
            {
                return $"the output directory '{full}' overlaps the input '{input}': writing it would delete or mix with the plans; choose an --out outside them";
            }
        }

        if (!Directory.Exists(full))
        {
            return null;
        }

        if (new DirectoryInfo(full).LinkTarget is not null)
        {
            return $"'{full}' is a symbolic link; name the directory itself";
        }

        var present = Directory.EnumerateFileSystemEntries(full, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(p => !Directory.Exists(p) || new DirectoryInfo(p).LinkTarget is not null)
            .Select(p => Path.GetRelativePath(full, p).Replace('\\', '/'))
            .Where(p => p != MarkerFile).Order(StringComparer.Ordinal).ToList();
        if (File.Exists(Path.Combine(full, MarkerFile)))
        {
            // What an interrupted update left before renaming it into place is reconcile's too.
            present = [.. present.Where(p => !p.EndsWith(TemporarySuffix, StringComparison.Ordinal))];
        }

        if (present.Count == 0)
        {
            return null;
        }

        if (!File.Exists(Path.Combine(full, MarkerFile)))
        {
            return $"'{full}' is not empty and was not written by reconcile (no {MarkerFile}); it would be replaced as a whole, so it is left alone: choose a new or empty directory";
        }

        // What any run wrote here, this directory's own output or an earlier one's nested in it (its own marker).
        var written = present.Where(p => Path.GetFileName(p) == MarkerFile)
            .SelectMany(m => File.ReadAllLines(Path.Combine(full, m)).Select(f => Path.GetDirectoryName(m) is { Length: > 0 } dir ? $"{dir.Replace('\\', '/')}/{f}" : f).Append(m))
            .Concat(File.ReadAllLines(Path.Combine(full, MarkerFile))).ToHashSet(StringComparer.Ordinal);
        var foreign = present.Where(p => !written.Contains(p)).ToList();
        return foreign.Count == 0 ? null
            : $"'{full}' holds {foreign.Count} file(s) reconcile did not write (first: {foreign[0]}); it would be replaced as a whole, so it is left alone: move them or choose another directory";
    }

    private static bool Within(string path, string directory) =>
        path == directory || path.StartsWith(Path.TrimEndingDirectorySeparator(directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static void Replace(string full, IReadOnlyDictionary<string, string> files)
    {
        if (File.Exists(Path.Combine(full, MarkerFile)))
        {
            Update(full, files);
            return;
        }

        var parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        var previous = Path.Combine(parent, $".{Path.GetFileName(full)}.old-{Guid.NewGuid():N}");
        try
        {
            // Each directory once, then the files in parallel: creating tens of thousands of small files is
            // bound by the file system's per-file cost, which overlaps across threads (at least 4: it waits
            // on the disk more than on a core; 4 wrote 40,000 files fastest on the 2-core machine, bench/README.md).
            foreach (var directory in files.Keys.Select(name => Path.GetDirectoryName(Path.Combine(staging, name))!).Distinct(StringComparer.Ordinal))
            {
                Directory.CreateDirectory(directory);
            }

            Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, Environment.ProcessorCount) }, file =>
                File.WriteAllText(Path.Combine(staging, file.Key), file.Value));

            Directory.CreateDirectory(staging);
            File.WriteAllLines(Path.Combine(staging, MarkerFile), files.Keys.Order(StringComparer.Ordinal));
            if (Directory.Exists(full))
            {
                Directory.Move(full, previous);
            }

            Directory.Move(staging, full);
        }
        catch
        {
            if (Directory.Exists(previous) && !Directory.Exists(full))
            {
                Directory.Move(previous, full);
            }

            throw;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            if (Directory.Exists(previous))
            {
                Directory.Delete(previous, recursive: true);
            }
        }
    }

    /// <summary>
    /// Brings reconcile's own DIR to hold exactly <paramref name="files"/>, touching only what changed: a
    /// file with the same content is left as it is, the others are written beside and renamed over (so
    /// no file is ever half-written), and what the earlier run wrote that is no longer produced is
    /// deleted. Rewriting and deleting tens of thousands of unchanged files cost more than the compile
    /// itself on a slow disk. While it runs, the marker lists every file that may be there, so an
    /// interrupted run leaves a directory the next run still takes as its own.
    /// </summary>
    private static void Update(string full, IReadOnlyDictionary<string, string> files)
    {
        var all = Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => Path.GetRelativePath(full, p).Replace('\\', '/')).Where(p => p != MarkerFile).ToList();
        foreach (var leftover in all.Where(p => p.EndsWith(TemporarySuffix, StringComparison.Ordinal)))
        {
            File.Delete(Path.Combine(full, leftover));
        }

        var present = all.Where(p => !p.EndsWith(TemporarySuffix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        WriteMarker(full, present.Union(files.Keys));
        foreach (var directory in files.Keys.Select(name => Path.GetDirectoryName(Path.Combine(full, name))!).Distinct(StringComparer.Ordinal))
        {
            Directory.CreateDirectory(directory);
        }

        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, Environment.ProcessorCount) }, file =>
        {
            var path = Path.Combine(full, file.Key);
            if (present.Contains(file.Key) && Compiler.Loading.FileKinds.Of(path) == Compiler.Loading.EntryKind.Regular && File.ReadAllText(path) == file.Value)
            {
                return;
            }

            var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}{TemporarySuffix}");
            File.WriteAllText(temporary, file.Value);
            File.Move(temporary, path, overwrite: true);
        });
        foreach (var stale in present.Where(p => !files.ContainsKey(p)))
        {
            File.Delete(Path.Combine(full, stale));
        }

        // Directories the deletions emptied, deepest first.
        foreach (var directory in present.Where(p => !files.ContainsKey(p)).Select(p => Path.GetDirectoryName(Path.Combine(full, p))!)
                     .Distinct(StringComparer.Ordinal).OrderByDescending(d => d.Length))
        {
            for (var dir = directory; dir.Length > full.Length && Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any(); dir = Path.GetDirectoryName(dir)!)
            {
                Directory.Delete(dir);
            }
        }

        WriteMarker(full, files.Keys);
    }

    private static void WriteMarker(string full, IEnumerable<string> names)
    {
        var temporary = Path.Combine(full, MarkerFile + TemporarySuffix);
        File.WriteAllLines(temporary, names.Order(StringComparer.Ordinal));
        File.Move(temporary, Path.Combine(full, MarkerFile), overwrite: true);
    }
}
