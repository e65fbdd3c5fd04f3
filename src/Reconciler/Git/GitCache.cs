using LibGit2Sharp;

namespace Reconcile.Reconciler.Git;

/// <summary>
/// The directory a repository is cloned into (--cache). Reconcile deletes and re-clones a cache that is
/// damaged or follows another URL, so it must be sure the directory is its own: a cache carries a
/// marker file, and an existing directory without it (and that is not an older Reconcile cache of the
/// same URL: a bare repository whose origin is that URL) is refused, never emptied.
/// </summary>
public static class GitCache
{
    public const string MarkerFile = "reconcile-cache";

    /// <summary>Why <paramref name="directory"/> may not serve as the cache for <paramref name="url"/>; null when it may.</summary>
    public static string? Problem(string directory, string url)
    {
        if (File.Exists(directory))
        {
            return $"--cache {directory} is a file, not a directory";
        }

        if (!Directory.Exists(directory) || IsOurs(directory) || !Directory.EnumerateFileSystemEntries(directory).Any())
        {
            return null;
        }

        return IsEarlierCacheOf(directory, url) ? null
            : $"--cache {directory} exists and is not a Reconcile cache (it has no {MarkerFile} marker): Reconcile would delete it when re-cloning, so it does not use it; name a new or empty directory";
    }

    public static bool IsOurs(string directory) => File.Exists(Path.Combine(directory, MarkerFile));

    /// <summary>Marks <paramref name="directory"/> as a cache Reconcile made (and may delete).</summary>
    public static void Mark(string directory) =>
        File.WriteAllText(Path.Combine(directory, MarkerFile), "A Git cache made by reconcile run; it may delete and re-clone it.\n");

    private static bool IsEarlierCacheOf(string directory, string url)
    {
        try
        {
            using var repository = new Repository(directory);
            return repository.Info.IsBare && repository.Network.Remotes["origin"]?.Url == url;
        }
        catch (Exception e) when (e is LibGit2SharpException or RepositoryNotFoundException)
        {
            return false;
        }
    }
}

/// <summary>The --cache directory is not Reconcile's: nothing in it is touched.</summary>
public sealed class CacheRefusedException(string message) : Exception(message);
