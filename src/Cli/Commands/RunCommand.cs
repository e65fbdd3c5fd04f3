using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using k8s;
using Reconcile.Compiler.Model;
using Reconcile.Reconciler;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Git;

namespace Reconcile.Cli.Commands;

/// <summary>
/// `reconcile run --repo URL [--branch main | --tag T | --commit C] --path plans/ --interval 1m
/// [--kubeconfig F] [--verify --allowed-signers F] [--once]`: the GitOps reconciler. Fetches on an
/// interval (with jitter, backing off while the remote is unreachable), compiles each new verified
/// revision, applies its static manifests by server-side apply, and carries its graph out, keeping
/// the state in each plan's MigrationRun. Logs are JSON lines on stdout.
/// </summary>
public sealed class RunCommand(IOContext io, Func<DateTime> clock)
{
    public sealed record Arguments(string Repo, string? Branch, string? Tag, string? Commit, string Path, string Interval, string PassInterval, string? Kubeconfig,
        bool Verify, string? AllowedSigners, bool Once, string? Cache, string? Home, string? TokenFile, bool LeaderElect = false, string? MetricsAddress = null, string? SshKey = null, string? KnownHosts = null, string? TrustedPgpKeys = null, bool AllowRewind = false, string? Notifications = null);

    public static Command CreateCommand(IOContext io, Func<DateTime> clock)
    {
        var repo = new Option<string>("--repo") { Description = "Git URL of the plans repository (https://, git:// or a path).", Required = true };
        var branch = new Option<string>("--branch") { Description = "Branch to track.", DefaultValueFactory = _ => "main" };
        var tag = new Option<string>("--tag") { Description = "Track this tag instead of a branch." };
        var commit = new Option<string>("--commit") { Description = "Pin this commit instead of a branch." };
        var path = new Option<string>("--path") { Description = "Folder of plan files in the repository.", DefaultValueFactory = _ => "plans" };
        var interval = new Option<string>("--interval") { Description = "How often to fetch.", DefaultValueFactory = _ => "1m" };
        var passInterval = new Option<string>("--pass-interval") { Description = "How often to observe and advance the campaign between fetches.", DefaultValueFactory = _ => "10s" };
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "Kubeconfig with a context per Topology cluster (its `context`, else its name); default $KUBECONFIG (several files merged, as kubectl does) or ~/.kube/config." };
        var verify = new Option<bool>("--verify") { Description = "Apply only commits signed by an allowed signer (SSH signatures, as git verifies them)." };
        var signers = new Option<string>("--allowed-signers") { Description = "ssh-keygen allowed-signers file for --verify." };
        var once = new Option<bool>("--once") { Description = "Fetch, apply and advance once, then exit." };
        var cache = new Option<string>("--cache") { Description = "Where the repository is cloned; default ~/.cache/reconcile/<hash of the URL>." };
        var home = new Option<string>("--home") { Description = "Cluster (Topology name) that holds the MigrationRuns; default the first cluster the plan touches." };
        var token = new Option<string>("--token-file") { Description = "File holding an HTTPS token for the repository (or set RECONCILE_GIT_TOKEN)." };
        var leaderElect = new Option<bool>("--leader-elect") { Description = "Run as one of several replicas: only the holder of Lease reconcile-system/reconcile (current context) reconciles." };
        var metrics = new Option<string>("--metrics-address") { Description = "Serve /metrics, /healthz and /readyz on this address, e.g. 0.0.0.0:9464." };
        var sshKey = new Option<string>("--ssh-key") { Description = "Private key for ssh:// (or user@host:path) repositories." };
        var knownHosts = new Option<string>("--known-hosts") { Description = "known_hosts file pinning the Git server's host key (ssh)." };
        var pgpKeys = new Option<string>("--trusted-pgp-keys") { Description = "Armored OpenPGP public keys whose signatures --verify accepts (besides --allowed-signers for SSH)." };
        var notifications = new Option<string>("--notifications") { Description = "Notification config (YAML): webhook, Slack or CloudEvents sinks and the Events each wants (docs/reconciler.md)." };
        var allowRewind = new Option<bool>("--allow-rewind") { Description = "With --verify, also accept a tip that does not descend from the last applied revision (a deliberate rollback of history)." };
        var command = new Command("run", "Reconcile plans from Git: fetch, verify, compile, apply and carry out the campaigns.")
        {
            repo, branch, tag, commit, path, interval, passInterval, kubeconfig, verify, signers, once, cache, home, token, leaderElect, metrics, sshKey, knownHosts, pgpKeys, allowRewind, notifications,
        };
        command.SetAction((parse, cancel) => new RunCommand(io, clock).RunAsync(new Arguments(parse.GetValue(repo)!, parse.GetValue(branch), parse.GetValue(tag), parse.GetValue(commit),
            parse.GetValue(path)!, parse.GetValue(interval)!, parse.GetValue(passInterval)!, parse.GetValue(kubeconfig), parse.GetValue(verify), parse.GetValue(signers),
            parse.GetValue(once), parse.GetValue(cache), parse.GetValue(home), parse.GetValue(token), parse.GetValue(leaderElect), parse.GetValue(metrics), parse.GetValue(sshKey), parse.GetValue(knownHosts), parse.GetValue(pgpKeys), parse.GetValue(allowRewind), parse.GetValue(notifications)), cancel));
        return command;
    }

    public async Task<int> RunAsync(Arguments arguments, CancellationToken cancel)
    {
        if (Quantities.Duration(arguments.Interval) is not { } interval || interval <= TimeSpan.Zero ||
            Quantities.Duration(arguments.PassInterval) is not { } passInterval || passInterval <= TimeSpan.Zero)
        {
            io.Error.WriteLine("reconcile: --interval and --pass-interval are durations such as 1m or 10s");
            return ExitCodes.Usage;
        }

        if (arguments.Verify && arguments.AllowedSigners is null && arguments.TrustedPgpKeys is null)
        {
            io.Error.WriteLine("reconcile: --verify needs --allowed-signers FILE (SSH signatures) or --trusted-pgp-keys FILE (OpenPGP)");
            return ExitCodes.Usage;
        }

        Reconciler.ReconcilerProcess.UseBatchCollections();
        var (kubeconfig, kubeconfigProblem) = KubeconfigFiles.Load(arguments.Kubeconfig, io.CurrentDirectory);
        if (kubeconfig is null)
        {
            io.Error.WriteLine($"reconcile: {kubeconfigProblem}");
            return ExitCodes.Usage;
        }
        var cache = arguments.Cache is { } c ? System.IO.Path.GetFullPath(c, io.CurrentDirectory) : System.IO.Path.Combine(
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "reconcile", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(arguments.Repo)))[..16]);
        if (GitCache.Problem(cache, new GitCredentials(arguments.Repo, () => null).Url) is { } cacheProblem)
        {
            io.Error.WriteLine($"reconcile: {cacheProblem}");
            return ExitCodes.Usage;
        }

        var source = new GitSource(new GitSourceOptions(arguments.Repo, cache, arguments.Tag is null && arguments.Commit is null ? arguments.Branch : null, arguments.Tag, arguments.Commit,
            arguments.TokenFile, arguments.Verify && arguments.AllowedSigners is { } signers ? System.IO.Path.GetFullPath(signers, io.CurrentDirectory) : null,
            arguments.SshKey is { } key ? System.IO.Path.GetFullPath(key, io.CurrentDirectory) : null,
            arguments.KnownHosts is { } hosts ? System.IO.Path.GetFullPath(hosts, io.CurrentDirectory) : null,
            arguments.Verify && arguments.TrustedPgpKeys is { } pgp ? System.IO.Path.GetFullPath(pgp, io.CurrentDirectory) : null));
        var log = new JsonLog(io.Out, clock);
        var contexts = (kubeconfig.Config.Contexts ?? []).Select(x => x.Name).ToHashSet(StringComparer.Ordinal);
        var loop = new GitOpsLoop(source, arguments.Path.Trim('/'), topology => topology.Clusters.ToDictionary(
                cluster => cluster.Name,
                cluster => (IClusterGateway)KubernetesGateway.FromKubeconfig(cluster.Name, kubeconfig.Config,
                    contexts.Contains(cluster.Context) ? cluster.Context : contexts.Contains(cluster.Name) ? cluster.Name
                    : throw new k8s.Exceptions.KubeConfigException($"kubeconfig {kubeconfig.Display} has no context for cluster {cluster.Name} (looked for {string.Join(" and ", new[] { cluster.Context, cluster.Name }.Distinct().Select(c => $"'{c}'"))})")),
                StringComparer.Ordinal),
            clock, log, arguments.Home, requireDescendant: arguments.Verify && !arguments.AllowRewind);

        ReconcilerEndpoints? endpoints = null;
        if (arguments.MetricsAddress is { } address)
        {
            try
            {
                endpoints = await ReconcilerEndpoints.StartAsync(address);
            }
            catch (Exception e) when (e is FormatException or IOException or System.Net.Sockets.SocketException)
            {
                io.Error.WriteLine($"reconcile: --metrics-address {address}: {e.Message}");
                return ExitCodes.Usage;
            }
        }

        await using var _ = endpoints;
        IReadOnlyList<Reconciler.Notifications.NotificationSink> sinks = [];
        if (arguments.Notifications is { } notificationFile)
        {
            var full = System.IO.Path.GetFullPath(notificationFile, io.CurrentDirectory);
            var (parsed, problem) = File.Exists(full) ? Reconciler.Notifications.NotificationConfig.Parse(File.ReadAllText(full)) : ([], "the file does not exist");
            if (problem is not null)
            {
                io.Error.WriteLine($"reconcile: --notifications {notificationFile}: {problem}");
                return ExitCodes.Usage;
            }

            sinks = parsed;
        }

        await using var notifier = new Reconciler.Notifications.NotificationSender(sinks, message => log.Write("warn", message));
        using var leader = arguments.LeaderElect
            ? new LeaderGate(new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigObject(kubeconfig.Config)), Reconciler.Execution.CampaignExecutor.RunNamespace, "reconcile",
                $"{Environment.MachineName}-{Environment.ProcessId}")
            : null;
        var election = leader?.RunAsync(cancel);
        if (endpoints is not null)
        {
            endpoints.Leading = () => leader?.IsLeader ?? true;
        }

        var random = new Random();
        var nextFetch = DateTime.MinValue;
        var backoff = interval;
        while (!cancel.IsCancellationRequested)
        {
            if (leader is { IsLeader: false })
            {
                // A standby replica: wait for the lease.
                await Delay(passInterval, cancel);
                continue;
            }

            var now = DateTime.UtcNow;
            var fetch = now >= nextFetch;
            LoopStatus status;
            var timer = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                status = await loop.PassAsync(fetch, cancel);
                endpoints?.Update(status, timer.Elapsed);
                foreach (var (plan, pass) in status.Plans)
                {
                    foreach (var (reason, warning, message) in pass.Recorded)
                    {
                        notifier.Post(new Reconciler.Notifications.Notice(plan, reason, warning, message, clock(), status.Revision));
                    }
                }
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                // Stopped (SIGTERM, Ctrl-C) mid-pass: everything done so far is in the cluster.
                break;
            }
            catch (k8s.Exceptions.KubeConfigException e)
            {
                // Nothing to retry: the kubeconfig does not name every cluster of the Topology.
                log.Write("error", e.Message);
                return ExitCodes.Usage;
            }
            catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
            {
                // The API is unavailable or refused a call: log it and try again next pass (the state is in the cluster).
                log.Write("warn", $"cluster API: {e.Message}");
                endpoints?.Metrics.LoopApiError();
                if (arguments.Once)
                {
                    return ExitCodes.Errors;
                }

                await Delay(passInterval, cancel);
                continue;
            }

            if (fetch)
            {
                // Jitter spreads replicas' and repositories' fetches; an unreachable remote backs off up to 10 intervals.
                backoff = status.Problem is { } p && p.StartsWith("cannot fetch", StringComparison.Ordinal) ? TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, interval.Ticks * 10)) : interval;
                nextFetch = now + backoff + TimeSpan.FromTicks((long)(backoff.Ticks * 0.1 * random.NextDouble()));
            }

            if (arguments.Once)
            {
                foreach (var (plan, pass) in status.Plans)
                {
                    log.Write("info", $"plan {plan}: {pass.Steps.Count(s => s.IsDone)} of {pass.Steps.Count} steps done, {pass.Steps.Count(s => s.Phase == Reconciler.Execution.StepPhase.Running)} running",
                        ("plan", plan), ("revision", status.Revision));
                }

                // What this pass reported goes out before the process ends (a receiver that is down is given up on).
                await notifier.CloseAsync(TimeSpan.FromSeconds(30));
                return status.Healthy ? ExitCodes.Success : ExitCodes.Errors;
            }

            await Delay(passInterval, cancel);
        }

        if (election is not null)
        {
            await election;
        }

        return ExitCodes.Success;
    }

    private static async Task Delay(TimeSpan delay, CancellationToken cancel)
    {
        try
        {
            await Task.Delay(delay, cancel);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
