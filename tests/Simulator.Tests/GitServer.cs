using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Reconcile.Simulator.Tests;

/// <summary>A real Git server on 127.0.0.1 (`git daemon`) serving one bare repository, and a working clone to commit and push from.</summary>
internal sealed class GitServer : IDisposable
{
    private readonly TempDirectory root = new();
    private Process? daemon;

    public GitServer()
    {
        Directory.CreateDirectory(Bare);
        Git(root.Path, "init", "-q", "--bare", "-b", "main", Bare);
        Git(root.Path, "clone", "-q", Bare, Work);
        Git(Work, "config", "user.name", "Planner");
        Git(Work, "config", "user.email", "planner@example.net");
        Port = Loopback.FreePort();
        Start();
    }

    public string Bare => Path.Combine(root.Path, "srv", "plans.git");

    public string Work => Path.Combine(root.Path, "work");

    public string Scratch => root.Path;

    public int Port { get; }

    public string Url => $"git://127.0.0.1:{Port}/plans.git";

    public void Start()
    {
        var start = new ProcessStartInfo("git") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", $"--port={Port}", $"--base-path={Path.Combine(root.Path, "srv")}", Path.Combine(root.Path, "srv") })
        {
            start.ArgumentList.Add(arg);
        }

        daemon = Process.Start(start)!;
        Loopback.WaitForPort(Port, "git daemon");
    }

    public void Stop()
    {
        if (daemon is { HasExited: false })
        {
            daemon.Kill(entireProcessTree: true);
            daemon.WaitForExit();
        }
    }

    public void CopyExample(string example, string into = "plans")
    {
        var target = Path.Combine(Work, into, example);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("plans", "examples", example)))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
    }

    public string Commit(string message, params string[] extra)
    {
        Git(Work, "add", "-A");
        Git(Work, ["commit", "-q", "--allow-empty", "-m", message, .. extra]);
        Git(Work, "push", "-q", "-f", "origin", "HEAD:main");
        return Git(Work, "rev-parse", "HEAD").Trim();
    }

    public string Git(string directory, params string[] args) => ExternalTools.Git(directory, args);

    /// <summary>A new ed25519 SSH key pair in the scratch folder for signing commits (git's gpg.format=ssh is set on the work tree); returns the private key's path.</summary>
    public string SigningKey(string name)
    {
        var key = Path.Combine(Scratch, name);
        var (exit, _, error) = ExternalTools.Run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key]);
        Assert.True(exit == 0, error);
        Git(Work, "config", "gpg.format", "ssh");
        return key;
    }

    public void Dispose()
    {
        Stop();
        root.Dispose();
    }
}

/// <summary>Ports on 127.0.0.1 for the servers the tests start.</summary>
internal static class Loopback
{
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Returns once something accepts connections on the port (5 s at most).</summary>
    public static void WaitForPort(int port, string what)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        Assert.Fail($"{what} did not start on port {port}");
    }
}
