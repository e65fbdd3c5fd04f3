namespace Reconcile.Cli;

/// <summary>
/// Writes a set of files so that DIR holds either all of them or what it held before: everything goes
/// into a temporary sibling directory first, which then takes DIR's place. Replacing deletes what DIR
/// held, so DIR must be Reconcile's own: new, empty, or written by an earlier run (its marker file
/// lists what that run wrote, and nothing else may have been added since); and it may not overlap the
/// inputs (the plans, the templates) in either direction.
/// </summary>
public static class OutputDirectory
{
    /// <summary>The marker an output directory carries: the files the run wrote, one relative path per line.</summary>
    public const string MarkerFile = ".reconcile-output";

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
}
