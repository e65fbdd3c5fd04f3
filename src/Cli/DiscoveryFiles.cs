using Reconcile.Compiler;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Model;
using Reconcile.Reconciler.Discovery;

namespace Reconcile.Cli;

/// <summary>
/// The files `discover` writes into a plans directory it shares with the user: topology.yaml and
/// inventory-CLUSTER.yaml, each marked as discover's on its third line. It overwrites only files that
/// carry that mark, each written to a temporary sibling first and renamed over, and deletes nothing.
/// </summary>
public static class DiscoveryFiles
{
    public const string SchemaFile = "plan.schema.json";

    /// <summary>Why DIR cannot take discover's files; null when it can (it may not exist yet).</summary>
    public static string? Refusal(string directory)
    {
        if (File.Exists(directory))
        {
            return $"--out {directory} is a file, not a directory";
        }

        if (Directory.Exists(directory) && new DirectoryInfo(directory).LinkTarget is not null)
        {
            return $"--out {directory} is a symbolic link; name the directory itself";
        }

        return null;
    }

    /// <summary>The files discover wrote into DIR before, then the --keep paths: what no API gives is kept from them.</summary>
    public static (PlanSet Model, string? Missing) Previous(string directory, IReadOnlyList<string> keep, string displayRoot)
    {
        if (keep.FirstOrDefault(k => !File.Exists(k) && !Directory.Exists(k)) is { } missing)
        {
            return (new PlanSet([], [], []), missing);
        }

        var own = Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "*.yaml").Where(f => Ours(f)).Order(StringComparer.Ordinal).ToList()
            : [];
        var paths = own.Concat(keep).ToList();
        if (paths.Count == 0)
        {
            return (new PlanSet([], [], []), null);
        }

        // Their own problems are not this run's: only the model they bind to is used.
        return (PlanValidator.Validate(paths, displayRoot).Model, null);
    }

    /// <summary>
    /// The modeline's target: the project's schema/plan.schema.json in DIR or above it when there is one,
    /// else plan.schema.json beside the files (written there unless a file of that name exists).
    /// </summary>
    public static string SchemaReference(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "schema", SchemaFile);
            if (File.Exists(candidate))
            {
                return Path.GetRelativePath(directory, candidate).Replace('\\', '/');
            }
        }

        return SchemaFile;
    }

    /// <summary>Writes every file or, when one of them is not discover's to overwrite, none; returns why not.</summary>
    public static string? Write(string directory, IReadOnlyDictionary<string, string> files)
    {
        foreach (var name in files.Keys)
        {
            var path = Path.Combine(directory, name);
            if (FileKinds.Of(path) is not EntryKind.Missing && !Ours(path))
            {
                return $"{path} exists and was not written by discover (its third line is not \"{DiscoveryRun.Marker} …\"); move it away or choose another --out; nothing was written";
            }
        }

        try
        {
            Directory.CreateDirectory(directory);
            var all = new Dictionary<string, string>(files, StringComparer.Ordinal);
            if (SchemaReference(directory) == SchemaFile && !File.Exists(Path.Combine(directory, SchemaFile)))
            {
                all[SchemaFile] = Compiler.Schema.PlanSchema.Text;
            }

            foreach (var (name, content) in all)
            {
                var path = Path.Combine(directory, name);
                var temporary = Path.Combine(directory, $".{name}.{Environment.ProcessId}.tmp");
                File.WriteAllText(temporary, content);
                File.Move(temporary, path, overwrite: true);
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot write into {directory}: {e.Message}";
        }
    }

    /// <summary>Whether discover wrote the file: a regular file whose third line is the marker.</summary>
    public static bool Ours(string path)
    {
        // Only a regular file is opened: a FIFO would block, a link may lead anywhere.
        if (FileKinds.Of(path) is not EntryKind.Regular)
        {
            return false;
        }

        using var reader = new StreamReader(path);
        for (var i = 0; i < 2; i++)
        {
            reader.ReadLine();
        }

        return reader.ReadLine()?.StartsWith(DiscoveryRun.Marker, StringComparison.Ordinal) == true;
    }
}
