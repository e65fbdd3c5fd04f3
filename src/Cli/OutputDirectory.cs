namespace Reconcile.Cli;

/// <summary>
/// Writes a set of files so that DIR holds either all of them or what it held before: everything goes
/// into a temporary sibling directory first, which then takes DIR's place.
/// </summary>
public static class OutputDirectory
{
    /// <summary>Writes the files, or returns why it could not (nothing at DIR changed then).</summary>
    public static string? TryReplace(string directory, IReadOnlyDictionary<string, string> files)
    {
        if (File.Exists(directory))
        {
            return $"'{directory}' is a file, not a directory";
        }

        try
        {
            Replace(directory, files);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot write '{directory}': {e.Message}";
        }
    }

    public static void Replace(string directory, IReadOnlyDictionary<string, string> files)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        var previous = Path.Combine(parent, $".{Path.GetFileName(full)}.old-{Guid.NewGuid():N}");
        try
        {
            foreach (var (name, content) in files)
            {
                var path = Path.Combine(staging, name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, content);
            }

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
