using System.CommandLine;
using Reconcile.Compiler;
using Reconcile.Compiler.Model;
using Reconcile.Reconciler.Discovery;

namespace Reconcile.Cli.Commands;

/// <summary>
/// `reconcile discover --kubeconfig F [--context C[=NAME]]... [--namespace N]... [--selector L]
/// [--prometheus [CLUSTER=]URL]... [--lookback 7d] --out DIR`: writes topology.yaml and one
/// inventory-CLUSTER.yaml per cluster from the live clusters and Prometheus (docs/discovery.md).
/// </summary>
public sealed partial class DiscoverCommand(IOContext io)
{
    public sealed record Arguments(
        string? Kubeconfig, IReadOnlyList<string> Contexts, IReadOnlyList<string> Namespaces, string? Selector, IReadOnlyList<string> Prometheus,
        string ClusterLabel, string Lookback, double Percentile, IReadOnlyList<string> Keep, string Out, string Timeout);

    public static Command CreateCommand(IOContext io)
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "Kubeconfig; default $KUBECONFIG (several files merged, as kubectl does) or ~/.kube/config." };
        var contexts = new Option<string[]>("--context") { Description = "Context to read, as CONTEXT or CONTEXT=NAME (NAME: the cluster's name in the plan); repeatable; default the current context.", AllowMultipleArgumentsPerToken = false };
        var namespaces = new Option<string[]>("--namespace", "-n") { Description = "Only VMs in this namespace; repeatable; default all." };
        var selector = new Option<string>("--selector", "-l") { Description = "Only VMs matching this label selector (app=db,tier!=web)." };
        var prometheus = new Option<string[]>("--prometheus") { Description = "Prometheus to read dirty and write rates from: URL for every cluster (told apart by --cluster-label), or CLUSTER=URL; repeatable." };
        var clusterLabel = new Option<string>("--cluster-label") { Description = "The label that names the cluster in a Prometheus shared by several.", DefaultValueFactory = _ => "cluster" };
        var lookback = new Option<string>("--lookback") { Description = "How far back Prometheus' percentile looks.", DefaultValueFactory = _ => "7d" };
        var percentile = new Option<double>("--percentile") { Description = "The percentile of the rates written (0 to 1).", DefaultValueFactory = _ => 0.95 };
        var keep = new Option<string[]>("--keep") { Description = "Plan files or directories to keep what no API gives from (link measurements, pod-network MTUs, storage replication, guest timings); the files in --out are always read." };
        var output = new Option<string>("--out-dir", "--out") { Description = "Directory to write topology.yaml and inventory-CLUSTER.yaml into.", Required = true };
        var timeout = new Option<string>("--timeout") { Description = "How long to wait for each API server or Prometheus request.", DefaultValueFactory = _ => "30s" };
        var command = new Command("discover", "Write the Topology and Inventory from the live clusters (and Prometheus for measured rates).")
        {
            kubeconfig, contexts, namespaces, selector, prometheus, clusterLabel, lookback, percentile, keep, output, timeout,
        };
        command.SetAction((parse, cancel) => new DiscoverCommand(io).RunAsync(new Arguments(
            parse.GetValue(kubeconfig), parse.GetValue(contexts) ?? [], parse.GetValue(namespaces) ?? [], parse.GetValue(selector), parse.GetValue(prometheus) ?? [],
            parse.GetValue(clusterLabel)!, parse.GetValue(lookback)!, parse.GetValue(percentile), parse.GetValue(keep) ?? [], parse.GetValue(output)!, parse.GetValue(timeout)!), cancel));
        return command;
    }

    public async Task<int> RunAsync(Arguments arguments, CancellationToken cancel)
    {
        if (Parse(arguments) is not { } request)
        {
            return ExitCodes.Usage;
        }

        var output = Path.GetFullPath(arguments.Out, io.CurrentDirectory);
        if (DiscoveryFiles.Refusal(output) is { } refusal)
        {
            io.Error.WriteLine($"reconcile: discover: {refusal}");
            return ExitCodes.Usage;
        }

        var previous = DiscoveryFiles.Previous(output, [.. arguments.Keep.Select(k => Path.GetFullPath(k, io.CurrentDirectory))], io.CurrentDirectory);
        if (previous.Missing is { } missing)
        {
            io.Error.WriteLine($"reconcile: discover: --keep {missing} does not exist");
            return ExitCodes.Usage;
        }

        request = request with { Previous = previous.Model, SchemaReference = DiscoveryFiles.SchemaReference(output) };
        using var http = new HttpClient { Timeout = request.Timeout };
        var result = await DiscoveryRun.RunAsync(request, http, cancel);
        foreach (var problem in result.Problems)
        {
            io.Error.WriteLine($"reconcile: discover: {problem.Cluster}: {problem.Message}");
        }

        if (result.Files.Count == 0)
        {
            io.Error.WriteLine("reconcile: discover: no cluster could be read; nothing written");
            return ExitCodes.Errors;
        }

        if (DiscoveryFiles.Write(output, result.Files) is { } failure)
        {
            io.Error.WriteLine($"reconcile: discover: {failure}");
            return ExitCodes.Usage;
        }

        foreach (var line in result.Summary)
        {
            io.Out.WriteLine(line);
        }

        foreach (var file in result.Files.Keys)
        {
            io.Out.WriteLine($"wrote {Path.GetRelativePath(io.CurrentDirectory, Path.Combine(output, file))}");
        }

        if (result.Problems.Count > 0)
        {
            io.Error.WriteLine($"reconcile: discover: incomplete: {result.Problems.Count} problem(s), see above and the INCOMPLETE lines in topology.yaml; what could be read was written");
            return ExitCodes.Partial;
        }

        return ExitCodes.Success;
    }

    private DiscoveryRequest? Parse(Arguments arguments)
    {
        var (loaded, problem) = KubeconfigFiles.Load(arguments.Kubeconfig, io.CurrentDirectory);
        if (loaded is null)
        {
            return Fail(problem!);
        }

        var (kubeconfig, config) = (loaded.Display, loaded.Config);
        if (arguments.Contexts.Count == 0 && string.IsNullOrEmpty(config.CurrentContext))
        {
            return Fail($"kubeconfig {kubeconfig} names no current context: say which with --context");
        }

        var targets = new List<DiscoveryTarget>();
        var contexts = arguments.Contexts.Count > 0 ? arguments.Contexts : [config.CurrentContext!];
        foreach (var entry in contexts)
        {
            var (context, name) = entry.Contains('=') ? (entry[..entry.IndexOf('=')], entry[(entry.IndexOf('=') + 1)..]) : (entry, entry);
            if (!ClusterName().IsMatch(name))
            {
                return Fail($"\"{name}\" is not a cluster name the plan accepts (lowercase letters, digits and '-', at most 63): name it with --context {context}=NAME");
            }

            if (targets.Any(t => t.Name == name))
            {
                return Fail($"two contexts would both be cluster \"{name}\"");
            }

            targets.Add(new DiscoveryTarget(context, name));
        }

        var sources = new List<PrometheusSource>();
        foreach (var entry in arguments.Prometheus)
        {
            var eq = entry.IndexOf('=');
            var (cluster, url) = eq > 0 && !entry[..eq].Contains(':') ? (entry[..eq], entry[(eq + 1)..]) : ((string?)null, entry);
            if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                return Fail($"--prometheus {entry}: not an http(s) URL");
            }

            if (cluster is not null && targets.All(t => t.Name != cluster))
            {
                return Fail($"--prometheus {entry}: no cluster \"{cluster}\" is being discovered");
            }

            sources.Add(new PrometheusSource(cluster, uri));
        }

        if (Quantities.Duration(arguments.Lookback) is not { } lookback || lookback < TimeSpan.FromSeconds(10) || lookback > TimeSpan.FromDays(366))
        {
            return Fail($"--lookback {arguments.Lookback}: a duration between 10s and 366d (7d, 24h)");
        }

        if (Quantities.Duration(arguments.Timeout) is not { } timeout || timeout < TimeSpan.FromSeconds(1) || timeout > TimeSpan.FromHours(1))
        {
            return Fail($"--timeout {arguments.Timeout}: a duration between 1s and 1h");
        }

        if (arguments.Percentile is not (> 0 and <= 1))
        {
            return Fail($"--percentile {arguments.Percentile}: a fraction above 0 and at most 1 (0.95)");
        }

        if (!System.Text.RegularExpressions.Regex.IsMatch(arguments.ClusterLabel, "^[a-zA-Z_][a-zA-Z0-9_]*$"))
        {
            return Fail($"--cluster-label {arguments.ClusterLabel}: not a Prometheus label name");
        }

        return new DiscoveryRequest(kubeconfig, config, targets, new DiscoveryScope(arguments.Namespaces, arguments.Selector), sources, arguments.ClusterLabel, lookback,
            arguments.Percentile, new PlanSet([], [], []), "", timeout);
    }

    private DiscoveryRequest? Fail(string message)
    {
        io.Error.WriteLine($"reconcile: discover: {message}");
        return null;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial System.Text.RegularExpressions.Regex ClusterName();
}
