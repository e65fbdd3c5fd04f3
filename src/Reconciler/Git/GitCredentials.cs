using LibGit2Sharp;

namespace Reconcile.Reconciler.Git;

/// <summary>
/// Who gets the repository's secrets: a token (--token-file or RECONCILE_GIT_TOKEN) or a password
/// written into the URL (https://user:secret@host/…) is handed only to the host the URL names, and
/// only over https; never over plain http://, and never to another host a server redirects to (git's
/// own rule since 2.13 and Flux's). The secret never appears in a log line or in the cache's config:
/// the remote is stored and printed without it.
/// </summary>
public sealed class GitCredentials
{
    private readonly Uri? uri;
    private readonly string? userFromUrl;
    private readonly string? passwordFromUrl;
    private readonly Func<string?> token;

    public GitCredentials(string url, Func<string?> token)
    {
        this.token = token;
        Url = url;
        if (Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" && parsed.UserInfo.Length > 0)
        {
            var parts = parsed.UserInfo.Split(':', 2);
            userFromUrl = Uri.UnescapeDataString(parts[0]);
            passwordFromUrl = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : null;
            Url = new UriBuilder(parsed) { UserName = "", Password = "" }.Uri.AbsoluteUri;
        }

        uri = Uri.TryCreate(Url, UriKind.Absolute, out var clean) ? clean : null;
    }

    /// <summary>The repository URL without credentials: what the cache's remote holds and what logs print.</summary>
    public string Url { get; }

    /// <summary>Set when a server asked for credentials that were withheld (plain http, or another host).</summary>
    public string? Withheld { get; private set; }

    /// <summary>Whether a secret may go to <paramref name="requestUrl"/>: https, and the very host (and port) of the configured URL.</summary>
    public bool MaySendTo(string requestUrl) =>
        uri is { Scheme: "https" } && Uri.TryCreate(requestUrl, UriKind.Absolute, out var request) && request.Scheme == "https" &&
        string.Equals(request.Host, uri.Host, StringComparison.OrdinalIgnoreCase) && request.Port == uri.Port;

    /// <summary>LibGit2Sharp's credentials callback: libgit2 passes the URL it is talking to, after any redirect.</summary>
    public Credentials Provide(string url, string? user, SupportedCredentialTypes types)
    {
        var secret = passwordFromUrl ?? token();
        if (secret is null || !types.HasFlag(SupportedCredentialTypes.UsernamePassword))
        {
            return new DefaultCredentials();
        }

        if (!MaySendTo(url))
        {
            Withheld = $"{Redact(url)} asked for credentials; they are sent only over https to {uri?.Host ?? "the repository's host"}";
            return new DefaultCredentials();
        }

        return new UsernamePasswordCredentials { Username = userFromUrl ?? user ?? "reconcile", Password = secret };
    }

    /// <summary><paramref name="text"/> with any user:password@ of a URL, and the URL's own secret, taken out.</summary>
    public string Redact(string text)
    {
        var redacted = System.Text.RegularExpressions.Regex.Replace(text, @"(?<=[a-z][a-z0-9+.-]*://)[^/@\s]+@", "***@", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        return passwordFromUrl is { Length: > 0 } password ? redacted.Replace(password, "***", StringComparison.Ordinal) : redacted;
    }
}
