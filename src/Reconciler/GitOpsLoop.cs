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

/// <summary>
/// The GitOps loop: fetch the repository, and when the tracked revision changes (and verifies),
/// compile the plans under the path at that commit; a revision with errors is never applied (the
/// last good one stays in force, and its diagnostics are logged). Each pass re-applies the static
/// manifests (repairing drift), prunes what a newer revision no longer contains, and runs one
/// executor pass per plan.
/// </summary>
/// <param name="requireDescendant">Refuse a tip that does not descend from the last applied revision (with --verify: a force-push back to an older signed commit must not undo a newer one).</param>
public sealed class GitOpsLoop(GitSource source, string plansPath, Func<Topology, IReadOnlyDictionary<string, IClusterGateway>> gatewaysFor, Func<DateTime> clock, JsonLog log, string? homeCluster = null,
    bool requireDescendant = false)
{
    private readonly Dictionary<string, CampaignExecutor> executors = new(StringComparer.Ordinal);
    private string? applied;
    private string? refused;
    private IReadOnlyList<Diagnostic> diagnostics = [];
    private IReadOnlyDictionary<string, IClusterGateway>? gateways;
    private string? compiledRevision;
    private string? attempted;
    private string? applyError;
    private bool applyFailedThisPass;

    /// <summary>The last compilation without errors, with the Git id of the plans' folder it read (RevisionFiles.ContentId).</summary>
    private (string ContentId, string Revision, CompilationResult Compiled)? lastCompilation;

    /// <summary>The campaigns of <see cref="lastCompilation"/>, parsed once for every revision that reuses it.</summary>
    private readonly Dictionary<string, CompiledCampaign> lastCampaigns = new(StringComparer.Ordinal);

    /// <summary>The kinds of static manifest Reconcile creates (label patches on VMs are not its objects to delete).</summary>
    private static readonly (string ApiVersion, string Kind)[] PrunableKinds =
    [
        ("migrations.kubevirt.io/v1alpha1", "MigrationPolicy"), ("networking.k8s.io/v1", "NetworkPolicy"), ("monitoring.coreos.com/v1", "PrometheusRule"),
        ("k8s.cni.cncf.io/v1beta1", "MultiNetworkPolicy"),
    ];

    public async Task<LoopStatus> PassAsync(bool fetch, CancellationToken cancel)
    {
        string? problem = null;
        var fetchFailed = false;
        applyFailedThisPass = false;
        if (fetch)
        {
            var result = source.Fetch();
            problem = result.Problem;
            fetchFailed = result.Unreachable;
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
        var held = new List<string>();
        foreach (var (plan, executor) in executors.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            PassResult pass;
            try
            {
                pass = await executor.PassAsync(cancel, new RevisionReport(attempted, refused, applyError));
            }
            catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
            {
                // One cluster's API errors hold back this plan's pass only; its state is in the cluster, so the next pass goes on from it.
                var message = $"plan {plan}: cluster API: {e.Message}; the pass is tried again";
                log.Write("warn", message, ("plan", plan), ("revision", applied));
                held.Add(plan);
                try
                {
                    await RunStatus.ReportHeldBackAsync(executor.Home, executor.RunName, message, clock(), cancel);
                }
                catch (Exception again) when (again is k8s.Autorest.HttpOperationException or HttpRequestException)
                {
                    // The run's own cluster is the one failing: the log line is all that can be said now.
                }
                continue;
            }

            foreach (var e in pass.Events)
            {
                log.Write("info", e, ("plan", plan), ("revision", applied));
            }

            plans[plan] = pass;
        }

        return new LoopStatus(applied, refused, diagnostics, plans, problem) { HeldBack = held, FetchFailed = fetchFailed, ApplyFailed = applyFailedThisPass };
    }

    /// <summary>
    /// Compiles the plans at <paramref name="revision"/> and applies them, all or nothing: the executors of
    /// the new revision replace the running ones, and the revision counts as applied, only once every
    /// plan's static manifests and run are in its clusters. A revision with errors, one the compiler fails
    /// on, or one that would drop a campaign (RevisionGuard) is refused and the applied one stays in force;
    /// an API error while applying leaves the revision to be tried again on the next pass.
    /// </summary>
    private async Task CompileAsync(string revision, CancellationToken cancel)
    {
        attempted = revision;
        var (compiled, validation) = Compile(revision);
        if (compiled is not null && requireDescendant && (applied ?? await LastAppliedAsync(validation, cancel)) is { } last && !source.Descends(revision, last))
        {
            Refuse(revision, $"it does not descend from {last[..12]}, the last applied revision (history was rewritten or rolled back); --allow-rewind accepts such a tip", []);
            compiled = null;
        }

        if (compiled is not null)
        {
            await ApplyAsync(revision, compiled, cancel);
            return;
        }

        compiledRevision = revision;
        // A fresh process with a refused tip acts on the revision last applied, as the cluster remembers it.
        if (applied is null && await LastAppliedAsync(validation, cancel) is { } previous && previous != revision &&
            Compile(previous).Compiled is { } earlier)
        {
            var refusal = (refused, diagnostics);
            await ApplyAsync(previous, earlier, cancel);
            (refused, diagnostics) = refusal;
            compiledRevision = applied == previous ? revision : null;
        }
    }

    /// <summary>status.lastAppliedRevision of the MigrationRuns, in the clusters the tip's topology names (when it binds one).</summary>
    private async Task<string?> LastAppliedAsync(ValidationResult? validation, CancellationToken cancel)
    {
        if (gateways is null && validation?.Model.Topologies.Length == 1)
        {
            gateways = gatewaysFor(validation.Model.Topologies[0]);
        }

        foreach (var (_, gateway) in (gateways ?? new Dictionary<string, IClusterGateway>()).OrderBy(g => g.Key != homeCluster).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var runs = await gateway.ListAsync(Conventions.RunApiVersion, Conventions.RunKind, Conventions.RunNamespace, $"{Conventions.ManagedByLabel}={Conventions.ManagedBy}", cancel);
            if (runs.Select(r => r["status"]?["lastAppliedRevision"]?.GetValue<string>()).OfType<string>().Order(StringComparer.Ordinal).FirstOrDefault() is { } revision)
            {
                return revision;
            }
        }

        return null;
    }

    private async Task ApplyAsync(string revision, CompilationResult compiled, CancellationToken cancel)
    {
        if (compiled.Validation.Model.Topologies.SingleOrDefault() is not { } topology)
        {
            Refuse(revision, "it has no Topology to apply to", compiled.Diagnostics);
            compiledRevision = revision;
            return;
        }

        gateways ??= gatewaysFor(topology);
        var next = new Dictionary<string, CampaignExecutor>(StringComparer.Ordinal);
        var campaigns = new Dictionary<string, (CompiledCampaign Campaign, string Home)>(StringComparer.Ordinal);
        foreach (var plan in compiled.Plans)
        {
            var campaign = CampaignOf(compiled, plan.Name);
            var clusters = plan.Graph.Steps.SelectMany(s => new[] { s.From?.Cluster, s.To?.Cluster }).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
            var home = homeCluster ?? clusters.FirstOrDefault() ?? gateways.Keys.First();
            campaigns[plan.Name] = (campaign, home);
            next[plan.Name] = new CampaignExecutor(campaign, gateways, home, clock, revision);
        }

        // Without --home each plan's run lives where its first step does, so every cluster's runs are checked.
        try
        {
            var verdict = await RevisionGuard.CheckAsync(compiled, gateways, homeCluster, cancel);
            if (verdict.Problem is { } problem)
            {
                Refuse(revision, problem, []);
                compiledRevision = revision;
                return;
            }

            foreach (var (plan, executor) in next.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                await executor.ApplyStaticAsync(cancel);
            }

            foreach (var (plan, (campaign, home)) in campaigns.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                await PruneAsync(plan, Rendered(campaign, home), topology, cancel);
            }

            foreach (var (cluster, plan, run) in verdict.Departed)
            {
                // A plan removed from Git once nothing of it runs: its objects go, as Flux prunes (its run with them).
                await PruneAsync(plan, new HashSet<(string, string, string?, string)>(), topology, cancel);
                await gateways[cluster].DeleteAsync(Conventions.RunApiVersion, Conventions.RunKind, Conventions.RunNamespace, run, cancel);
                log.Write("info", $"plan {plan} is no longer in the revision: pruned its objects and its MigrationRun", ("plan", plan));
            }
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            applyError = $"applying revision {revision[..12]} failed: {e.Message}; it is tried again on the next pass{(applied is null ? "" : $", {applied[..12]} stays in force")}";
            log.Write("warn", applyError, ("revision", revision));
            applyFailedThisPass = true;
            return;
        }

        executors.Clear();
        foreach (var (plan, executor) in next)
        {
            executors[plan] = executor;
        }

        applied = revision;
        compiledRevision = revision;
        refused = null;
        applyError = null;
        diagnostics = compiled.Diagnostics;
        log.Write("info", $"applied revision {revision[..12]}", ("revision", revision), ("plans", string.Join(",", executors.Keys)));
    }

    /// <summary>The compilation of <paramref name="revision"/>, or null when it is refused (errors, or the compiler failed), with its validation when it got that far.</summary>
    private (CompilationResult? Compiled, ValidationResult? Validation) Compile(string revision)
    {
        CompilationResult compiled;
        ValidationResult? validation = null;
        string? contentId = null;
        try
        {
            // A revision that changes nothing the plans read (a commit elsewhere in the repository) is not
            // planned again: its compilation is the last one, as Flux and Argo CD leave a path's manifests alone.
            contentId = RevisionFiles.ContentId(source.CacheDirectory, revision, plansPath);
            if (contentId is not null && lastCompilation is { } last && last.ContentId == contentId)
            {
                log.Write("info", last.Revision == revision
                    ? $"revision {revision[..12]}: compiled once, applied again"
                    : $"revision {revision[..12]} has the plans of {last.Revision[..12]} (nothing under {plansPath} changed): not compiled again", ("revision", revision));
                return (last.Compiled, last.Compiled.Validation);
            }

            var (files, missing) = RevisionFiles.Read(source.CacheDirectory, revision, [plansPath]);
            var load = PlanLoader.LoadTexts(files);
            load = load with { Diagnostics = [.. load.Diagnostics, .. missing.Select(m => DiagnosticCatalog.PathNotFound.At(SourceLocation.StartOf(m), $"path '{m}' does not exist at {revision[..12]}"))] };
            validation = PlanValidator.Validate(load);
            // A plan whose files did not change keeps its graph and manifests from the last compilation (PlanInputs.Key).
            compiled = Compilation.Run(validation, clock(), new TemplateSet(RevisionFiles.Templates(source.CacheDirectory, revision, plansPath)), progress: null, sink: null, lastCompilation?.Compiled);
            if (compiled.Reused.Count > 0 && lastCompilation is { } earlier)
            {
                log.Write("info", $"revision {revision[..12]}: {string.Join(", ", compiled.Reused)} read nothing that changed since {earlier.Revision[..12]}: not planned again", ("revision", revision), ("plans", string.Join(",", compiled.Reused)));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A revision the compiler cannot handle is refused like one with errors; the process goes on.
            Refuse(revision, $"the compiler failed on it ({e.GetType().Name}: {e.Message})", []);
            return (null, validation);
        }

        if (compiled.HasErrors)
        {
            Refuse(revision, $"{compiled.Diagnostics.Count(d => d.IsError)} errors", compiled.Diagnostics);
            return (null, validation);
        }

        if (contentId is not null)
        {
            lastCompilation = (contentId, revision, compiled);
            lastCampaigns.Clear();
        }

        return (compiled, validation);
    }

    private CompiledCampaign CampaignOf(CompilationResult compiled, string plan)
    {
        if (!ReferenceEquals(lastCompilation?.Compiled, compiled))
        {
            return CompiledCampaign.Of(compiled, plan);
        }

        if (!lastCampaigns.TryGetValue(plan, out var campaign))
        {
            lastCampaigns[plan] = campaign = CompiledCampaign.Of(compiled, plan);
        }

        return campaign;
    }

    private void Refuse(string revision, string why, IReadOnlyList<Diagnostic> found)
    {
        diagnostics = found;
        refused = $"revision {revision[..12]} refused: {why}; {(applied is null ? "nothing is applied" : $"{applied[..12]} stays in force")}";
        log.Write("error", refused, ("revision", revision));
        foreach (var d in found.Where(d => d.IsError))
        {
            log.Write("error", d.Message, ("code", d.Code), ("location", d.Location.ToString()));
        }
    }

    /// <summary>The static and run/ objects the campaign renders, by the cluster each goes to (run/ goes to the home cluster).</summary>
    private static HashSet<(string Cluster, string Kind, string? Ns, string Name)> Rendered(CompiledCampaign campaign, string home)
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

        return rendered;
    }

    /// <summary>
    /// Deletes the plan's objects that this revision no longer renders: found by Reconcile's labels in
    /// every cluster, so a restarted reconciler prunes what an earlier process applied. The run/ folder's
    /// objects live in the reconciler's own cluster. MultiNetworkPolicy is served only where the topology
    /// declares multi-networkpolicy, so only there is it listed.
    /// </summary>
    private async Task PruneAsync(string plan, IReadOnlySet<(string Cluster, string Kind, string? Ns, string Name)> rendered, Topology topology, CancellationToken cancel)
    {
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
