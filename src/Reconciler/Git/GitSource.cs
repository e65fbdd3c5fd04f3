using LibGit2Sharp;

namespace Reconcile.Reconciler.Git;

/// <summary>Where the plans come from: a repository URL and what to track (a branch, a tag or a pinned commit).</summary>
/// <param name="TokenFile">HTTPS token read from this file (or RECONCILE_GIT_TOKEN); sent as the password, never logged.</param>
/// <param name="AllowedSigners">With it (or <paramref name="TrustedPgpKeys"/>), every revision must carry a signature by one of these SSH signers (or OpenPGP keys).</param>
/// <param name="SshKey">Private key for ssh:// and scp-like (user@host:path) URLs; <paramref name="KnownHosts"/> pins the server's host key.</param>
public sealed record GitSourceOptions(string Url, string CacheDirectory, string? Branch = "main", string? Tag = null, string? Commit = null, string? TokenFile = null, string? AllowedSigners = null,
    string? SshKey = null, string? KnownHosts = null, string? TrustedPgpKeys = null)
{
    /// <summary>ssh://… or user@host:path: fetched with the git client over OpenSSH (libgit2 as LibGit2Sharp ships it has no SSH).</summary>
    public bool IsSsh => Url.StartsWith("ssh://", StringComparison.Ordinal) ||
        !Url.Contains("://", StringComparison.Ordinal) && System.Text.RegularExpressions.Regex.IsMatch(Url, @"^[\w.-]+@[\w.-]+:");
}

/// <summary>The outcome of one fetch: the revision now in force, and whether it changed or what went wrong.</summary>
public sealed record FetchResult(string? Revision, bool Changed, string? Problem, bool Unreachable = false);

/// <summary>
/// Follows a Git repository as Flux's GitRepository does: clone once into a cache (bare), then fetch
/// on demand; force-pushes simply move the tracked tip; an unreachable remote keeps the last good
/// revision in force (the caller backs off); a corrupt cache is deleted and cloned again. With
/// allowed signers, a tip that is unsigned or signed by anyone else is refused and the last good
/// revision stays.
/// </summary>
public sealed class GitSource
{
    private static readonly string[] RefSpecs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];
    private readonly GitSourceOptions options;
    private readonly GitCredentials credentials;

    public GitSource(GitSourceOptions options)
    {
        this.options = options;
        credentials = new GitCredentials(options.Url, () => Environment.GetEnvironmentVariable("RECONCILE_GIT_TOKEN") ??
            (options.TokenFile is { } file && File.Exists(file) ? File.ReadAllText(file).Trim() : null));
    }

    /// <summary>The repository URL as logs may print it (no user:password).</summary>
    public string Url => credentials.Url;

    public string? LastGood { get; private set; }

    public string CacheDirectory => options.CacheDirectory;

    public FetchResult Fetch()
    {
        try
        {
            return FetchOnce();
        }
        catch (CacheRefusedException e)
        {
            return new FetchResult(LastGood, false, e.Message);
        }
        catch (LibGit2SharpException first) when (GitCache.IsOurs(options.CacheDirectory))
        {
            // A damaged cache fails like a broken network; a fresh clone tells them apart.
            Directory.Delete(options.CacheDirectory, recursive: true);
            try
            {
                return FetchOnce();
            }
            catch (LibGit2SharpException e)
            {
                return Unreachable($"{e.Message} (before a fresh clone: {first.Message})");
            }
        }
        catch (LibGit2SharpException e)
        {
            return Unreachable(e.Message);
        }
    }

    private FetchResult Unreachable(string why) =>
        new(LastGood, false, credentials.Redact($"cannot fetch {Url}: {why}{(credentials.Withheld is { } withheld ? $" ({withheld})" : "")}"), Unreachable: true);

    private FetchResult FetchOnce()
    {
        using var repository = Open();
        if (options.IsSsh)
        {
            FetchOverSsh();
        }
        else
        {
            Commands.Fetch(repository, "origin", RefSpecs, new FetchOptions { CredentialsProvider = credentials.Provide, Prune = true }, "reconcile fetch");
        }

        var tip = Resolve(repository);
        if (tip is null)
        {
            return new FetchResult(LastGood, false, $"{Tracked} not found in {Url}");
        }

        if (options.AllowedSigners is not null || options.TrustedPgpKeys is not null)
        {
            var verdict = new SignatureVerifier(options.AllowedSigners, options.TrustedPgpKeys).Verify(repository, tip);
            if (!verdict.Trusted)
            {
                return new FetchResult(LastGood, false, $"refused {tip[..12]}: {verdict.Detail}");
            }
        }

        var changed = tip != LastGood;
        LastGood = tip;
        return new FetchResult(tip, changed, null);
    }

    /// <summary>
    /// Whether <paramref name="tip"/> is <paramref name="ancestor"/> or has it in its history (as `git
    /// merge-base --is-ancestor` answers); false when either is not in the cache.
    /// </summary>
    public bool Descends(string tip, string ancestor)
    {
        using var repository = new Repository(options.CacheDirectory);
        if (repository.Lookup<Commit>(tip) is not { } descendant || repository.Lookup<Commit>(ancestor) is not { } older)
        {
            return false;
        }

        return descendant.Sha == older.Sha || repository.ObjectDatabase.FindMergeBase(descendant, older)?.Sha == older.Sha;
    }

    /// <summary>`git fetch` into the bare cache with the given key and known hosts; the key is never logged.</summary>
    private void FetchOverSsh()
    {
        var start = new System.Diagnostics.ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--git-dir", options.CacheDirectory, "fetch", "--quiet", "--prune", "--force", "origin" }.Concat(RefSpecs))
        {
            start.ArgumentList.Add(arg);
        }

        var ssh = new List<string> { "ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=15" };
        if (options.SshKey is { } key)
        {
            ssh.AddRange(["-i", Quote(key), "-o", "IdentitiesOnly=yes"]);
        }

        if (options.KnownHosts is { } known)
        {
            ssh.AddRange(["-o", "StrictHostKeyChecking=yes", "-o", $"UserKnownHostsFile={Quote(known)}"]);
        }

        start.Environment["GIT_SSH_COMMAND"] = string.Join(' ', ssh);
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        using var process = System.Diagnostics.Process.Start(start) ?? throw new LibGit2SharpException("git could not be started");
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new LibGit2SharpException(error.Result.Trim());
        }
    }

    private static string Quote(string path) => "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private string Tracked => options.Commit is { } c ? $"commit {c}" : options.Tag is { } t ? $"tag {t}" : $"branch {options.Branch}";

    /// <summary>The cache as a bare repository with "origin", cloned if absent; a damaged cache of ours, or one of another URL, is cloned again; a directory that is not ours is refused.</summary>
    private Repository Open()
    {
        if (GitCache.Problem(options.CacheDirectory, Url) is { } problem)
        {
            throw new CacheRefusedException(problem);
        }

        if (Directory.Exists(options.CacheDirectory) && Directory.EnumerateFileSystemEntries(options.CacheDirectory).Any())
        {
            try
            {
                var existing = new Repository(options.CacheDirectory);
                if (existing.Network.Remotes["origin"]?.Url == Url)
                {
                    GitCache.Mark(options.CacheDirectory);
                    return existing;
                }

                existing.Dispose();
            }
            catch (Exception e) when (e is LibGit2SharpException or RepositoryNotFoundException)
            {
                // Damaged: start again (it is ours, or Problem would have refused it).
            }

            Directory.Delete(options.CacheDirectory, recursive: true);
        }

        Directory.CreateDirectory(options.CacheDirectory);
        Repository.Init(options.CacheDirectory, isBare: true);
        GitCache.Mark(options.CacheDirectory);
        var repository = new Repository(options.CacheDirectory);
        repository.Network.Remotes.Add("origin", Url);
        return repository;
    }

    private string? Resolve(Repository repository)
    {
        if (options.Commit is { } commit)
        {
            return repository.Lookup<Commit>(commit)?.Sha;
        }

        if (options.Tag is { } tag)
        {
            return repository.Tags[tag]?.PeeledTarget is Commit tagged ? tagged.Sha : null;
        }

        return repository.Refs[$"refs/remotes/origin/{options.Branch}"]?.ResolveToDirectReference()?.TargetIdentifier;
    }
}
