using System.Diagnostics;
using Reconcile.Reconciler.Git;

namespace Reconcile.Simulator.Tests;

/// <summary>An ssh:// repository through a real OpenSSH server on 127.0.0.1 (Debian's openssh-server, installed by .ci/install-tools).</summary>
public sealed class SshGitTests
{
    [SkippableFact]
    public void Fetches_over_ssh_with_a_key_and_a_pinned_host_key_and_refuses_an_unknown_host()
    {
        var sshd = ExternalTools.Require(ExternalTools.Find("/usr/sbin/sshd"), "sshd not installed: run .ci/install-tools (CI does)");
        Skip.If(Environment.UserName != "root" && Environment.GetEnvironmentVariable("RECONCILE_REQUIRE_TOOLS") != "1", "sshd needs to run as root here");
        using var server = new GitServer();
        server.CopyExample("node-drain");
        var revision = server.Commit("over ssh");
        var dir = Path.Combine(server.Scratch, "ssh");
        Directory.CreateDirectory(dir);
        Keygen("-t", "ed25519", "-N", "", "-f", Path.Combine(dir, "host"));
        Keygen("-t", "ed25519", "-N", "", "-f", Path.Combine(dir, "client"));
        File.Copy(Path.Combine(dir, "client.pub"), Path.Combine(dir, "authorized_keys"));
        var port = Loopback.FreePort();
        File.WriteAllText(Path.Combine(dir, "sshd_config"), string.Join('\n',
            $"Port {port}", "ListenAddress 127.0.0.1", $"HostKey {dir}/host", $"AuthorizedKeysFile {dir}/authorized_keys", $"PidFile {dir}/sshd.pid",
            "StrictModes no", "UsePAM no", "PasswordAuthentication no", "PermitRootLogin prohibit-password", "") );
        File.WriteAllText(Path.Combine(dir, "known_hosts"), $"[127.0.0.1]:{port} {File.ReadAllText(Path.Combine(dir, "host.pub")).Trim()}\n");
        File.WriteAllText(Path.Combine(dir, "wrong_known_hosts"), $"[127.0.0.1]:{port} {File.ReadAllText(Path.Combine(dir, "client.pub")).Trim()}\n");

        // sshd insists on its privilege-separation directory.
        Directory.CreateDirectory("/run/sshd");
        using var daemon = Process.Start(new ProcessStartInfo(sshd, ["-D", "-e", "-f", Path.Combine(dir, "sshd_config")]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            Loopback.WaitForPort(port, "sshd");
            var url = $"ssh://{Environment.UserName}@127.0.0.1:{port}{server.Bare}";
            var good = new GitSource(new GitSourceOptions(url, Path.Combine(server.Scratch, "cache"), SshKey: Path.Combine(dir, "client"), KnownHosts: Path.Combine(dir, "known_hosts")));
            var fetched = good.Fetch();
            Assert.True(fetched.Problem is null, fetched.Problem);
            Assert.Equal(revision, fetched.Revision);
            var (files, _) = RevisionFiles.Read(good.CacheDirectory, revision, ["plans/node-drain"]);
            Assert.Equal(3, files.Count);

            // A host key other than the pinned one is refused: nothing is fetched.
            var spoofed = new GitSource(new GitSourceOptions(url, Path.Combine(server.Scratch, "cache2"), SshKey: Path.Combine(dir, "client"), KnownHosts: Path.Combine(dir, "wrong_known_hosts")));
            var refused = spoofed.Fetch();
            Assert.Null(refused.Revision);
            Assert.Contains("Host key verification failed", refused.Problem);
        }
        finally
        {
            daemon.Kill(entireProcessTree: true);
            daemon.WaitForExit();
        }
    }

    private static void Keygen(params string[] args)
    {
        var (exit, _, error) = ExternalTools.Run("ssh-keygen", ["-q", .. args]);
        Assert.True(exit == 0, error);
    }
}
