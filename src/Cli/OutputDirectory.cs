namespace Reconcile.Cli;

/// <summary>
/// Writes a set of files so that DIR holds exactly them (<see cref="OutputWriter"/>). A new or empty DIR is
/// written in a temporary sibling directory first, which then takes its place. A DIR an earlier run wrote
/// is updated in place, touching only what changed. Either way what DIR held may be deleted, so DIR
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

        if (TryBegin(full, out var writer) is { } problem)
        {
            return problem;
        }

        using (writer)
        {
            // File creation waits on the file system more than on a core, so it overlaps across threads (at
            // least 4: 4 wrote 40,000 files fastest on the 2-core machine, bench/README.md).
            Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, Environment.ProcessorCount) }, file => writer!.Add(file.Key, file.Value));
            return writer!.Commit() is { } failure ? $"cannot write '{directory}': {failure}" : null;
        }
    }

    /// <summary>Starts an <see cref="OutputWriter"/> on <paramref name="full"/>, which <see cref="Refusal"/> allowed; returns why it could not.</summary>
    public static string? TryBegin(string full, out OutputWriter? writer)
    {
        try
        {
            writer = OutputWriter.Begin(full);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            writer = null;
            return $"cannot write '{full}': {e.Message}";
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
}
