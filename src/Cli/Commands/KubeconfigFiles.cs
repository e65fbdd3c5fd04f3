using k8s.KubeConfigModels;

namespace Reconcile.Cli.Commands;

/// <summary>
/// Which kubeconfig a command reads, by kubectl's rules: --kubeconfig (that one file), else $KUBECONFIG
/// (files separated by the path separator, merged, missing ones skipped), else ~/.kube/config. Every
/// command that talks to clusters (run, discover, status, suspend, resume, rollback, retry) reads it here.
/// </summary>
public static class KubeconfigFiles
{
    /// <summary>The kubeconfig, merged, and how to name it in messages.</summary>
    public sealed record Loaded(K8SConfiguration Config, string Display);

    /// <summary>The kubeconfig the options and environment name, or why there is none to use.</summary>
    public static (Loaded? Kubeconfig, string? Problem) Load(string? explicitPath, string currentDirectory)
    {
        var files = explicitPath is { } single ? [single]
            : Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } list ? list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            : [Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config")];
        var paths = files.Select(f => Path.GetFullPath(f, currentDirectory)).ToList();
        var display = string.Join(Path.PathSeparator, paths);
        var existing = paths.Where(File.Exists).Select(p => new FileInfo(p)).ToArray();
        if (existing.Length == 0 || explicitPath is not null && existing.Length != paths.Count)
        {
            return (null, $"kubeconfig {display} does not exist");
        }

        try
        {
            return (new Loaded(Merge([.. existing.Select(f => k8s.KubernetesClientConfiguration.LoadKubeConfig(f, useRelativePaths: true))]), display), null);
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException or IOException)
        {
            return (null, $"cannot read kubeconfig {display}: {e.Message}");
        }
    }

    /// <summary>
    /// kubectl's merge of several kubeconfig files: the first file to set the current context, or to name a
    /// cluster, context or user, wins (KubernetesClient keeps its own merge internal). Left alone: a relative
    /// certificate file path in a merged kubeconfig is taken from the current directory, not from its file's
    /// (inline certificate data and tokens are unaffected); docs/reconciler.md says so.
    /// </summary>
    private static K8SConfiguration Merge(IReadOnlyList<K8SConfiguration> files)
    {
        if (files.Count == 1)
        {
            return files[0];
        }

        static List<T> First<T>(IEnumerable<T> items, Func<T, string> name) =>
            [.. items.GroupBy(name, StringComparer.Ordinal).Select(g => g.First())];

        return new K8SConfiguration
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
