using LibGit2Sharp;
using Reconcile.Compiler.Loading;

namespace Reconcile.Reconciler.Git;

/// <summary>What a revision spec resolved to, or why it did not.</summary>
public sealed record RevisionLookup(string? CommitId, string? Problem);

/// <summary>
/// Reads the plan files under a path at one commit straight from the object database: no checkout,
/// no working-tree changes, so `diff` and the reconciler can read any revision side by side.
/// </summary>
public static class RevisionFiles
{
    /// <summary>The repository containing <paramref name="directory"/> (its working tree root), or null.</summary>
    public static string? RepositoryRoot(string directory)
    {
        var found = Repository.Discover(directory);
        if (found is null)
        {
            return null;
        }

        using var repository = new Repository(found);
        return repository.Info.WorkingDirectory is { } work ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(work)) : null;
    }

    /// <summary>Resolves a revision spec (a branch, a tag, a commit id, HEAD~1, ...) to a commit.</summary>
    public static RevisionLookup Resolve(string repositoryRoot, string revision)
    {
        using var repository = new Repository(repositoryRoot);
        try
        {
            return repository.Lookup(revision)?.Peel<Commit>() is { } commit
                ? new RevisionLookup(commit.Sha, null)
                : new RevisionLookup(null, $"revision '{revision}' does not name a commit in {repositoryRoot}");
        }
        catch (LibGit2SharpException e)
        {
            return new RevisionLookup(null, $"revision '{revision}': {e.Message}");
        }
    }

    /// <summary>
    /// The plan files (as <see cref="PlanLoader.IsPlanFile"/> picks them) under each repository-relative
    /// path at <paramref name="commitId"/>, displayed by their repository-relative paths. A path
    /// missing at that commit is a problem string, like a missing path on disk.
    /// </summary>
    public static (IReadOnlyList<PlanLoader.SourceText> Files, IReadOnlyList<string> Missing) Read(string repositoryRoot, string commitId, IReadOnlyList<string> paths)
    {
        using var repository = new Repository(repositoryRoot);
        var commit = repository.Lookup<Commit>(commitId);
        var files = new SortedDictionary<string, PlanLoader.SourceText>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var path in paths.Select(p => p.Trim('/')))
        {
            if (path.Length == 0 || path == ".")
            {
                Collect(commit.Tree, "", files);
                continue;
            }

            switch (commit[path]?.Target)
            {
                case Tree tree:
                    Collect(tree, path + "/", files);
                    break;
                case Blob blob:
                    files[path] = Text(path, blob);
                    break;
                default:
                    missing.Add(path);
                    break;
            }
        }

        return ([.. files.Values], missing);
    }

    /// <summary>
    /// The Git object id of everything compiling <paramref name="commitId"/> reads: the tree (or file) at
    /// <paramref name="plansPath"/>, which holds the plan files and their templates/ folder. Two revisions
    /// with the same id compile the same inputs; null when the path is missing.
    /// </summary>
    public static string? ContentId(string repositoryRoot, string commitId, string plansPath)
    {
        using var repository = new Repository(repositoryRoot);
        var commit = repository.Lookup<Commit>(commitId);
        var path = plansPath.Trim('/');
        return path.Length == 0 || path == "." ? commit.Tree.Sha : commit[path]?.Target.Sha;
    }

    /// <summary>
    /// The templates that travel with the plans: the `*.sbn` files of the folder `templates/` inside
    /// <paramref name="plansPath"/> at <paramref name="commitId"/> (regular files only; links are not followed).
    /// </summary>
    public static IReadOnlyDictionary<string, (string Text, string DisplayPath)> Templates(string repositoryRoot, string commitId, string plansPath)
    {
        using var repository = new Repository(repositoryRoot);
        var commit = repository.Lookup<Commit>(commitId);
        var folder = string.Join('/', new[] { plansPath.Trim('/'), Compiler.Rendering.TemplateSet.FolderName }.Where(p => p.Length > 0 && p != "."));
        var templates = new SortedDictionary<string, (string, string)>(StringComparer.Ordinal);
        if (commit[folder]?.Target is Tree tree)
        {
            foreach (var entry in tree.Where(e => e.Mode == Mode.NonExecutableFile && e.Name.EndsWith(".sbn", StringComparison.Ordinal)))
            {
                var blob = (Blob)entry.Target;
                if (blob.Size <= PlanLoader.MaxFileBytes)
                {
                    templates[entry.Name] = (blob.GetContentText(), $"{folder}/{entry.Name}");
                }
            }
        }

        return templates;
    }

    private static void Collect(Tree tree, string prefix, SortedDictionary<string, PlanLoader.SourceText> files)
    {
        foreach (var entry in tree)
        {
            var path = prefix + entry.Name;
            if (entry.TargetType == TreeEntryTargetType.Tree && !entry.Name.StartsWith('.'))
            {
                Collect((Tree)entry.Target, path + "/", files);
            }
            else if (entry.TargetType == TreeEntryTargetType.Blob && PlanLoader.IsPlanFile(entry.Name))
            {
                files[path] = Text(path, (Blob)entry.Target);
            }
        }
    }

    // The blob is read now: the repository is disposed when Read returns.
    private static PlanLoader.SourceText Text(string path, Blob blob)
    {
        var size = blob.Size;
        var text = size > PlanLoader.MaxFileBytes ? "" : blob.GetContentText(new FilteringOptions(path));
        return new PlanLoader.SourceText(path, size, () => text);
    }
}
