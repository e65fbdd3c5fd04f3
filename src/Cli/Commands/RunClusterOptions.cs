using System.CommandLine;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Cli.Commands;

/// <summary>
/// Where the MigrationRuns are, as kubectl's users name it: --kubeconfig (default $KUBECONFIG, several
/// files merged, then ~/.kube/config), --context (default the current one) and --namespace/-n. Shared by the commands
/// that read or change runs (status, suspend, resume).
/// </summary>
public sealed class RunClusterOptions
{
    public Option<string> Kubeconfig { get; } = new("--kubeconfig") { Description = "Kubeconfig; default $KUBECONFIG or ~/.kube/config." };

    public Option<string> Context { get; } = new("--context") { Description = "Context of the cluster holding the MigrationRuns; default the current context." };

    public Option<string> Namespace { get; } = new("--namespace", "-n") { Description = "Namespace of the MigrationRuns.", DefaultValueFactory = _ => CampaignExecutor.RunNamespace };

    public void AddTo(Command command)
    {
        command.Options.Add(Kubeconfig);
        command.Options.Add(Context);
        command.Options.Add(Namespace);
    }

    /// <summary>What the options name, resolved.</summary>
    public sealed record Target(KubernetesGateway Gateway, string Context, string Namespace);

    /// <summary>The cluster the options name, or null after writing why it cannot be reached.</summary>
    public Target? Resolve(ParseResult parse, IOContext io)
    {
        // kubectl's order: --kubeconfig (one file), else $KUBECONFIG (files separated by the path separator,
        // merged with the first to set a value winning, missing ones skipped), else ~/.kube/config.
        var files = parse.GetValue(Kubeconfig) is { } single ? [single]
            : Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } list ? list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            : [Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config")];
        var paths = files.Select(f => Path.GetFullPath(f, io.CurrentDirectory)).ToList();
        var existing = paths.Where(File.Exists).Select(p => new FileInfo(p)).ToArray();
        if (existing.Length == 0 || parse.GetValue(Kubeconfig) is not null && existing.Length != paths.Count)
        {
            io.Error.WriteLine($"reconcile: kubeconfig {string.Join(Path.PathSeparator, paths)} does not exist");
            return null;
        }

        try
        {
            var merged = Merge([.. existing.Select(f => k8s.KubernetesClientConfiguration.LoadKubeConfig(f, useRelativePaths: true))]);
            var context = parse.GetValue(Context) ?? merged.CurrentContext;
            if (string.IsNullOrEmpty(context))
            {
                io.Error.WriteLine("reconcile: the kubeconfig names no current context; give --context");
                return null;
            }

            return new Target(KubernetesGateway.FromKubeconfig(context, merged, context), context, parse.GetValue(Namespace)!);
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException or IOException)
        {
            io.Error.WriteLine($"reconcile: cannot use kubeconfig {string.Join(Path.PathSeparator, paths)}: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// kubectl's merge of several kubeconfig files: the first file to set the current context, or to name a
    /// cluster, context or user, wins (KubernetesClient keeps its own merge internal). Left alone: a relative
    /// certificate file path in a merged kubeconfig is taken from the current directory, not from its file's
    /// (inline certificate data and tokens are unaffected); docs/reconciler.md says so.
    /// </summary>
    private static k8s.KubeConfigModels.K8SConfiguration Merge(IReadOnlyList<k8s.KubeConfigModels.K8SConfiguration> files)
    {
        static List<T> First<T>(IEnumerable<T> items, Func<T, string> name) =>
            [.. items.GroupBy(name, StringComparer.Ordinal).Select(g => g.First())];

        return new k8s.KubeConfigModels.K8SConfiguration
        {
            ApiVersion = "v1",
            Kind = "Config",
            CurrentContext = files.Select(f => f.CurrentContext).FirstOrDefault(c => !string.IsNullOrEmpty(c)),
            Clusters = First(files.SelectMany(f => f.Clusters ?? []), c => c.Name),
            Contexts = First(files.SelectMany(f => f.Contexts ?? []), c => c.Name),
            Users = First(files.SelectMany(f => f.Users ?? []), u => u.Name),
        };
    }
}
