using System.CommandLine;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Cli.Commands;

/// <summary>
/// Where the MigrationRuns are, as kubectl's users name it: --kubeconfig (default $KUBECONFIG, several
/// files merged, then ~/.kube/config: KubeconfigFiles), --context (default the current one) and --namespace/-n.
/// Shared by the commands that read or change runs (status, suspend, resume, rollback, retry).
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
        var (kubeconfig, problem) = KubeconfigFiles.Load(parse.GetValue(Kubeconfig), io.CurrentDirectory);
        if (kubeconfig is null)
        {
            io.Error.WriteLine($"reconcile: {problem}");
            return null;
        }

        var context = parse.GetValue(Context) ?? kubeconfig.Config.CurrentContext;
        if (string.IsNullOrEmpty(context))
        {
            io.Error.WriteLine("reconcile: the kubeconfig names no current context; give --context");
            return null;
        }

        try
        {
            return new Target(KubernetesGateway.FromKubeconfig(context, kubeconfig.Config, context), context, parse.GetValue(Namespace)!);
        }
        catch (k8s.Exceptions.KubeConfigException e)
        {
            io.Error.WriteLine($"reconcile: cannot use kubeconfig {kubeconfig.Display}: {e.Message}");
            return null;
        }
    }
}
