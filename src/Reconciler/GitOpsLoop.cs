using System.Text.Json.Nodes;
using Reconcile.Compiler;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;
using Reconcile.Reconciler.Git;

namespace Reconcile.Reconciler;

/// <summary>Structured log lines (one JSON object per line), the reconciler's only output besides the cluster.</summary>
public sealed class JsonLog(TextWriter writer, Func<DateTime> clock)
{
    // Quotes and apostrophes as they are, not \u0027: the lines are read by people too.
    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public void Write(string level, string message, params (string Key, object? Value)[] fields)
    {
        var line = new JsonObject { ["time"] = StepState.Time(clock()), ["level"] = level, ["msg"] = message };
        foreach (var (key, value) in fields)
        {
            line[key] = value is null ? null : JsonValue.Create(value.ToString());
        }

        lock (writer)
        {
            writer.WriteLine(line.ToJsonString(Relaxed));
        }
    }
}

/// <summary>What one pass of the loop saw.</summary>
public sealed record LoopStatus(string? Revision, string? RefusedRevision, IReadOnlyList<Diagnostic> Diagnostics, IReadOnlyDictionary<string, PassResult> Plans, string? Problem);

/// <summary>
/// The GitOps loop: fetch the repository, and when the tracked revision changes (and verifies),
/// compile the plans under the path at that commit; a revision with errors is never applied (the
/// last good one stays in force, and its diagnostics are logged). Each pass re-applies the static
/// manifests (repairing drift), prunes what a newer revision no longer contains, and runs one
/// executor pass per plan.
/// </summary>
public sealed class GitOpsLoop(GitSource source, string plansPath, Func<Topology, IReadOnlyDictionary<string, IClusterGateway>> gatewaysFor, Func<DateTime> clock, JsonLog log, string? homeCluster = null)
{
    private readonly Dictionary<string, CampaignExecutor> executors = new(StringComparer.Ordinal);
    private string? applied;
    private string? refused;
    private IReadOnlyList<Diagnostic> diagnostics = [];
    private IReadOnlyDictionary<string, IClusterGateway>? gateways;
    private string? compiledRevision;

    /// <summary>The kinds of static manifest Reconcile creates (label patches on VMs are not its objects to delete).</summary>
    private static readonly (string ApiVersion, string Kind)[] PrunableKinds =
    [
        ("migrations.kubevirt.io/v1alpha1", "MigrationPolicy"), ("networking.k8s.io/v1", "NetworkPolicy"), ("monitoring.coreos.com/v1", "PrometheusRule"),
        ("k8s.cni.cncf.io/v1beta1", "MultiNetworkPolicy"),
    ];

    public async Task<LoopStatus> PassAsync(bool fetch, CancellationToken cancel)
    {
        string? problem = null;
        if (fetch)
        {
            var result = source.Fetch();
            problem = result.Problem;
            if (result.Problem is not null)
            {
                log.Write(result.Unreachable ? "warn" : "error", result.Problem, ("revision", result.Revision));
                if (!result.Unreachable && result.Problem.StartsWith("refused", StringComparison.Ordinal))
                {
                    refused = result.Problem;
                }
            }

            if (result.Revision is { } revision && revision != compiledRevision)
            {
                await CompileAsync(revision, cancel);
            }
            else
            {
                // Drift: someone changed or deleted what Reconcile applied; server-side apply puts it back.
                foreach (var executor in executors.Values)
                {
                    await executor.ApplyStaticAsync(cancel);
                }
            }
        }

        var plans = new Dictionary<string, PassResult>(StringComparer.Ordinal);
        foreach (var (plan, executor) in executors.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var pass = await executor.PassAsync(cancel);
            foreach (var e in pass.Events)
            {
                log.Write("info", e, ("plan", plan), ("revision", applied));
            }

            plans[plan] = pass;
        }

        return new LoopStatus(applied, refused, diagnostics, plans, problem);
    }

    private async Task CompileAsync(string revision, CancellationToken cancel)
    {
        compiledRevision = revision;
        var (files, missing) = RevisionFiles.Read(source.CacheDirectory, revision, [plansPath]);
        var load = PlanLoader.LoadTexts(files);
        load = load with { Diagnostics = [.. load.Diagnostics, .. missing.Select(m => DiagnosticCatalog.PathNotFound.At(SourceLocation.StartOf(m), $"path '{m}' does not exist at {revision[..12]}"))] };
        var validation = PlanValidator.Validate(load);
        var compiled = Compilation.Run(validation, clock(), new TemplateSet(RevisionFiles.Templates(source.CacheDirectory, revision, plansPath)));
        diagnostics = compiled.Diagnostics;
        if (compiled.HasErrors || compiled.Graphs.Count == 0)
        {
            refused = $"revision {revision[..12]} has {compiled.Diagnostics.Count(d => d.IsError)} errors; {(applied is null ? "nothing is applied" : $"{applied[..12]} stays in force")}";
            log.Write("error", refused, ("revision", revision));
            foreach (var d in compiled.Diagnostics.Where(d => d.IsError))
            {
                log.Write("error", d.Message, ("code", d.Code), ("location", d.Location.ToString()));
            }

            return;
        }

        var topology = validation.Model.Topologies.Single();
        gateways ??= gatewaysFor(topology);
        executors.Clear();
        foreach (var graph in compiled.Graphs)
        {
            var campaign = CompiledCampaign.Of(compiled, graph.Plan);
            var clusters = graph.Steps.SelectMany(s => new[] { s.From?.Cluster, s.To?.Cluster }).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
            var home = homeCluster ?? clusters.FirstOrDefault() ?? gateways.Keys.First();
            var executor = new CampaignExecutor(campaign, gateways, home, clock, revision);
            await executor.ApplyStaticAsync(cancel);
            await PruneAsync(graph.Plan, campaign, home, topology, cancel);
            executors[graph.Plan] = executor;
        }

        applied = revision;
        refused = null;
        log.Write("info", $"applied revision {revision[..12]}", ("revision", revision), ("plans", string.Join(",", executors.Keys)));
    }

    /// <summary>
    /// Deletes the plan's objects that this revision no longer renders: found by Reconcile's labels in
    /// every cluster, so a restarted reconciler prunes what an earlier process applied. The run/ folder's
    /// objects live in the reconciler's own cluster. MultiNetworkPolicy is served only where the topology
    /// declares multi-networkpolicy, so only there is it listed.
    /// </summary>
    private async Task PruneAsync(string plan, CompiledCampaign campaign, string home, Topology topology, CancellationToken cancel)
    {
        var rendered = new HashSet<(string Cluster, string Kind, string? Ns, string Name)>();
        foreach (var path in campaign.Files.Keys.Where(p => (p.Contains("/static/", StringComparison.Ordinal) || p.StartsWith("run/", StringComparison.Ordinal)) && !p.EndsWith("kustomization.yaml", StringComparison.Ordinal)))
        {
            var cluster = path.StartsWith("run/", StringComparison.Ordinal) ? home : path[..path.IndexOf('/')];
            foreach (var obj in campaign.FileObjects(path))
            {
                rendered.Add((cluster, obj["kind"]!.GetValue<string>(), obj["metadata"]?["namespace"]?.GetValue<string>(), obj["metadata"]!["name"]!.GetValue<string>()));
            }
        }

        var selector = $"{Conventions.ManagedByLabel}={Conventions.ManagedBy},{Conventions.PlanLabel}={KubernetesName.Of(plan)}";
        foreach (var (cluster, gateway) in gateways!)
        {
            foreach (var (apiVersion, kind) in PrunableKinds.Where(k => k.Kind != "MultiNetworkPolicy" ||
                         topology.FindCluster(cluster)?.Migration.IsolatedBy.Contains(NetworkIsolation.MultiNetworkPolicy) == true))
            {
                foreach (var live in await gateway.ListAsync(apiVersion, kind, null, selector, cancel))
                {
                    var ns = live["metadata"]?["namespace"]?.GetValue<string>();
                    var name = live["metadata"]!["name"]!.GetValue<string>();
                    if (!rendered.Contains((cluster, kind, ns, name)))
                    {
                        await gateway.DeleteAsync(apiVersion, kind, ns, name, cancel);
                        log.Write("info", $"pruned {kind} {(ns is null ? "" : ns + "/")}{name} from {cluster}", ("plan", plan));
                    }
                }
            }
        }
    }
}
