using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Execution;
using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Planning;

namespace Reconcile.Reconciler.Execution.Drivers;

/// <summary>
/// A cold move: the source VM is stopped (its run strategy kept in an annotation first, for its copy and
/// for a rollback) and exported; once the export publishes its CA, the import's credentials go to the
/// target and the VM there, derived from the source, imports every disk and starts. Done when it runs.
/// Never cancelled at a window's close: stopping it halfway would leave the VM down.
/// </summary>
internal sealed class ColdMigrationDriver(StepContext context) : StepDriver(context)
{
    public override async Task StartAsync(GraphStep step, CancellationToken cancel)
    {
        Context.Problems.Remove(step.Id);
        foreach (var halt in Campaign.Objects(step, ObjectRole.SourceHalt))
        {
            await KeepRunStrategyAsync(Context, halt, cancel);
            await Context.ApplyAsync(halt, cancel);
        }

        var export = Campaign.Objects(step, ObjectRole.Export).Single();
        await Context.ApplyAsync(export, cancel);
        if (Campaign.Manifest(step).Import is not { } import || !await ShareCredentialsAsync(step, export, import, cancel))
        {
            return;
        }

        foreach (var receiver in Campaign.Objects(step, ObjectRole.ReceiverVm))
        {
            var (vm, problem) = await Context.ReceiverAsync(step, receiver, cancel);
            if (problem is not null)
            {
                Context.Problems[step.Id] = problem;
                return;
            }

            await Context.ApplyAsync(receiver with { Object = vm! }, cancel);
        }
    }

    public override async Task<StepOutcome> ObserveAsync(GraphStep step, CancellationToken cancel)
    {
        if (Context.Problems.ContainsKey(step.Id))
        {
            return StepOutcome.Failed;
        }

        if (await Context.VmRunsAtTargetAsync(step, cancel))
        {
            return StepOutcome.Succeeded;
        }

        // The target side is made only once the export has published its CA: until then, not fully started.
        return await AllExistAsync(step, cancel, ObjectRole.ReceiverVm) ? StepOutcome.Running : StepOutcome.Missing;
    }

    /// <summary>Before a VM is stopped for good, the run strategy it had goes into an annotation of the stop patch.</summary>
    public static async Task KeepRunStrategyAsync(StepContext context, PlacedObject halt, CancellationToken cancel)
    {
        if (await context.GetAsync(halt, cancel) is { } live)
        {
            var annotations = (JsonObject)(halt.Object["metadata"]!["annotations"] ??= new JsonObject());
            annotations[Conventions.OriginalRunStrategyAnnotation] = ReceiverDerivation.RunStrategyOf(live);
        }
    }

    /// <summary>
    /// What the importing side needs from the export, as KubeVirt's own generated DataVolumes get it
    /// (virt-exportserver/exportserver.go): the token, sent as the x-kubevirt-export-token header from a
    /// Secret in the target cluster, and the export proxy's CA (status.links.external.cert) in a ConfigMap
    /// under key ca.pem that each DataVolume's certConfigMap names. The token is made once per step and kept
    /// in the source Secret (the export's tokenSecretRef), so a restart reuses it. False while the export
    /// has not yet published its CA.
    /// </summary>
    private async Task<bool> ShareCredentialsAsync(GraphStep step, PlacedObject export, ImportCredentials import, CancellationToken cancel)
    {
        var source = Context.Clusters[export.Cluster];
        var target = Context.Clusters[step.To!.Cluster];
        var existing = await source.GetAsync("v1", "Secret", import.SourceNamespace, import.TokenSecret, cancel);
        var token = existing?["data"]?["token"]?.GetValue<string>() is { } encoded
            ? Encoding.UTF8.GetString(Convert.FromBase64String(encoded))
            : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        await source.ApplyAsync(Secret(import.TokenSecret, import.SourceNamespace, "token", token), cancel);
        await target.EnsureNamespaceAsync(import.TargetNamespace, cancel);
        await target.ApplyAsync(Secret(import.HeaderSecret, import.TargetNamespace, "token", $"x-kubevirt-export-token: {token}"), cancel);

        var live = await Context.GetAsync(export, cancel);
        if (live?["status"]?["links"]?["external"]?["cert"]?.GetValue<string>() is not { Length: > 0 } ca)
        {
            return false;
        }

        await target.ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = import.CaConfigMap, ["namespace"] = import.TargetNamespace, ["labels"] = Owned() },
            ["data"] = new JsonObject { ["ca.pem"] = ca },
        }, cancel);
        return true;
    }

    private static JsonObject Owned() => new() { [Conventions.ManagedByLabel] = Conventions.ManagedBy };

    private static JsonObject Secret(string name, string ns, string key, string value) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = Owned() },
        ["type"] = "Opaque",
        ["data"] = new JsonObject { [key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) },
    };
}
