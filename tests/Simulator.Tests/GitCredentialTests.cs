using System.Collections.Concurrent;
using System.Net;
using Reconcile.Cli;
using Reconcile.Reconciler.Git;

namespace Reconcile.Simulator.Tests;

/// <summary>Where the repository's secrets may go, and which directories the cache may take, against an HTTP server on 127.0.0.1 that asks for credentials.</summary>
public sealed class GitCredentialTests
{
    /// <summary>An HTTP server that answers every request with 401 Basic and remembers the Authorization headers it was sent.</summary>
    private sealed class AskingServer : IDisposable
    {
        private readonly HttpListener listener = new();
        private readonly Task serving;

        public AskingServer()
        {
            Port = Loopback.FreePort();
            listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            listener.Start();
            serving = Task.Run(async () =>
            {
                while (listener.IsListening)
                {
                    HttpListenerContext context;
                    try
                    {
                        context = await listener.GetContextAsync();
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                    {
                        return;
                    }

                    Requests.Add(context.Request.Url?.PathAndQuery ?? "");
                    if (context.Request.Headers["Authorization"] is { } authorization)
                    {
                        Authorizations.Add(authorization);
                    }

                    context.Response.StatusCode = 401;
                    context.Response.AddHeader("WWW-Authenticate", "Basic realm=\"git\"");
                    context.Response.Close();
                }
            });
        }

        public int Port { get; }

        public ConcurrentBag<string> Requests { get; } = [];

        public ConcurrentBag<string> Authorizations { get; } = [];

        public void Dispose()
        {
            // Close alone: after Stop, Close removes the prefixes again, and the managed HttpListener then
            // binds the port anew to find its endpoint, which fails when another listener took the port
            // meanwhile ("Address already in use", seen in CI).
            listener.Close();
            serving.Wait(TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public void A_token_or_a_password_in_the_URL_is_never_sent_over_plain_http_nor_printed_nor_stored()
    {
        using var server = new AskingServer();
        using var scratch = new TempDirectory();
        var tokenFile = Path.Combine(scratch.Path, "token");
        File.WriteAllText(tokenFile, "tok-3f9a1c");
        var withToken = new GitSource(new GitSourceOptions($"http://127.0.0.1:{server.Port}/plans.git", Path.Combine(scratch.Path, "c1"), TokenFile: tokenFile)).Fetch();
        var withPassword = new GitSource(new GitSourceOptions($"http://alice:pa55-word@127.0.0.1:{server.Port}/plans.git", Path.Combine(scratch.Path, "c2"))).Fetch();

        Assert.NotEmpty(server.Requests);
        Assert.Empty(server.Authorizations);
        foreach (var result in new[] { withToken, withPassword })
        {
            Assert.Null(result.Revision);
            Assert.Contains("asked for credentials; they are sent only over https", result.Problem);
            Assert.DoesNotContain("tok-3f9a1c", result.Problem);
            Assert.DoesNotContain("pa55-word", result.Problem);
        }

        Assert.Contains($"cannot fetch http://127.0.0.1:{server.Port}/plans.git", withPassword.Problem);
        Assert.DoesNotContain("pa55-word", File.ReadAllText(Path.Combine(scratch.Path, "c2", "config")));
    }

    [Theory]
    [InlineData("https://git.example.com/team/plans.git", true)]
    [InlineData("https://GIT.example.com/other/path/info/refs?service=git-upload-pack", true)]
    [InlineData("https://evil.example.net/team/plans.git/info/refs", false)]
    [InlineData("https://git.example.com.evil.example.net/team/plans.git", false)]
    [InlineData("https://git.example.com:8443/team/plans.git", false)]
    [InlineData("http://git.example.com/team/plans.git", false)]
    public void Secrets_go_only_to_the_configured_host_over_https_whatever_a_redirect_says(string requestUrl, bool allowed)
    {
        var credentials = new GitCredentials("https://bot:secret@git.example.com/team/plans.git", () => "token");
        Assert.Equal("https://git.example.com/team/plans.git", credentials.Url);
        Assert.Equal(allowed, credentials.MaySendTo(requestUrl));
        Assert.Equal("cannot fetch https://***@git.example.com/x: *** rejected", credentials.Redact("cannot fetch https://bot:secret@git.example.com/x: secret rejected"));
    }

    [Fact]
    public void A_cache_directory_that_is_not_Reconciles_is_refused_and_left_as_it_is()
    {
        using var server = new GitServer();
        server.CopyExample("node-drain");
        server.Commit("wave");
        var cache = Path.Combine(server.Scratch, "precious");
        Directory.CreateDirectory(cache);
        File.WriteAllText(Path.Combine(cache, "thesis.tex"), "five years of work");

        var result = new GitSource(new GitSourceOptions(server.Url, cache)).Fetch();
        Assert.Null(result.Revision);
        Assert.Contains("is not a Reconcile cache", result.Problem);

        var kubeconfig = Path.Combine(server.Scratch, "kubeconfig");
        File.WriteAllText(kubeconfig, "apiVersion: v1\nkind: Config\n");
        var error = new StringWriter();
        var exit = Program.Run(["run", "--repo", server.Url, "--once", "--kubeconfig", kubeconfig, "--cache", cache], new IOContext(new StringWriter(), error, Repository.Root), () => DateTime.UnixEpoch);
        Assert.Equal(2, exit);
        Assert.Contains("is not a Reconcile cache", error.ToString());
        Assert.Equal(["thesis.tex"], Directory.EnumerateFileSystemEntries(cache).Select(Path.GetFileName));
        Assert.Equal("five years of work", File.ReadAllText(Path.Combine(cache, "thesis.tex")));

        // A new or empty directory becomes a cache, marked as Reconcile's.
        var fresh = Path.Combine(server.Scratch, "fresh");
        Directory.CreateDirectory(fresh);
        Assert.NotNull(new GitSource(new GitSourceOptions(server.Url, fresh)).Fetch().Revision);
        Assert.True(GitCache.IsOurs(fresh));
    }
}
