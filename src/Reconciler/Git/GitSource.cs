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
public sealed class GitSource(GitSourceOptions options)
{
    private static readonly string[] RefSpecs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];

    public string? LastGood { get; private set; }

    public string CacheDirectory => options.CacheDirectory;

    public FetchResult Fetch()
    {
        try
        {
            return FetchOnce();
        }
        catch (LibGit2SharpException first) when (Directory.Exists(options.CacheDirectory))
        {
            // A damaged cache fails like a broken network; a fresh clone tells them apart.
            Directory.Delete(options.CacheDirectory, recursive: true);
            try
            {
                return FetchOnce();
            }
            catch (LibGit2SharpException e)
            {
                return new FetchResult(LastGood, false, $"cannot fetch {options.Url}: {e.Message} (before a fresh clone: {first.Message})", Unreachable: true);
            }
        }
        catch (LibGit2SharpException e)
        {
            return new FetchResult(LastGood, false, $"cannot fetch {options.Url}: {e.Message}", Unreachable: true);
        }
    }

    private FetchResult FetchOnce()
    {
        using var repository = Open();
        if (options.IsSsh)
        {
            FetchOverSsh();
        }
        else
        {
            Commands.Fetch(repository, "origin", RefSpecs, new FetchOptions { CredentialsProvider = Credentials, Prune = true }, "reconcile fetch");
        }

        var tip = Resolve(repository);
        if (tip is null)
        {
            return new FetchResult(LastGood, false, $"{Tracked} not found in {options.Url}");
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

    /// <summary>The cache as a bare repository with "origin", cloned if absent or unreadable.</summary>
    private Repository Open()
    {
        if (Directory.Exists(options.CacheDirectory))
        {
            try
            {
                var existing = new Repository(options.CacheDirectory);
                if (existing.Network.Remotes["origin"]?.Url == options.Url)
                {
                    return existing;
                }

                existing.Dispose();
            }
            catch (Exception e) when (e is LibGit2SharpException or RepositoryNotFoundException)
            {
                // Corrupt or foreign: start again.
            }

            Directory.Delete(options.CacheDirectory, recursive: true);
        }

        Directory.CreateDirectory(options.CacheDirectory);
        Repository.Init(options.CacheDirectory, isBare: true);
        var repository = new Repository(options.CacheDirectory);
        repository.Network.Remotes.Add("origin", options.Url);
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

    private LibGit2Sharp.Credentials? Credentials(string url, string? user, SupportedCredentialTypes types)
    {
        var token = Environment.GetEnvironmentVariable("RECONCILE_GIT_TOKEN") ??
            (options.TokenFile is { } file && File.Exists(file) ? File.ReadAllText(file).Trim() : null);
        return token is null || !types.HasFlag(SupportedCredentialTypes.UsernamePassword)
            ? new DefaultCredentials()
            : new UsernamePasswordCredentials { Username = user ?? "reconcile", Password = token };
    }
}
