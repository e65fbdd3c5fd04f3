using System.Text.Json.Nodes;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Reconciler.Clusters;

namespace Reconcile.Reconciler.Execution;

/// <summary>A concurrency group of the plan and the VMs (namespace/name) it holds.</summary>
public sealed record GroupLimit(string Name, int MaxConcurrent, IReadOnlySet<string> Vms);

/// <summary>One plan as compiled at a revision: its graph, the plan, its files (paths relative to the plan's own output tree) and its groups.</summary>
public sealed record CompiledCampaign(ExecutionGraph Graph, MigrationPlan Plan, IReadOnlyDictionary<string, string> Files, IReadOnlyList<GroupLimit> Groups)
{
    /// <summary>The campaign of <paramref name="plan"/> out of a compilation's model and (prefixed) output files.</summary>
    public static CompiledCampaign Of(ExecutionGraph graph, MigrationPlan plan, PlanSet model, IReadOnlyDictionary<string, string> files, string prefix)
    {
        var scope = Compiler.Semantics.PlanScope.Create(plan, model);
        var groups = plan.Groups.Select(g => new GroupLimit(g.Name, g.MaxConcurrent,
            scope.Vms.Where(g.Select.Matches).Select(v => v.Id).ToHashSet(StringComparer.Ordinal))).ToList();
        var own = files.Where(f => f.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(f => f.Key[prefix.Length..], f => f.Value, StringComparer.Ordinal);
        return new CompiledCampaign(graph, plan, own, groups);
    }
}

/// <summary>What a pass did, for logs, metrics and `reconcile status`.</summary>
public sealed record PassResult(IReadOnlyList<StepState> Steps, IReadOnlyList<Condition> Conditions, IReadOnlyList<string> Events)
{
    /// <summary>Predicted bytes of the data-moving steps that have finished.</summary>
    public long BytesMoved { get; init; }

    /// <summary>Seconds until the window of the running migrations closes (the soonest); null when none runs in a window.</summary>
    public double? WindowSecondsLeft { get; init; }

    public bool Finished => Steps.All(s => s.IsDone || s.Phase is StepPhase.Failed or StepPhase.Cancelled);

    public bool Stalled => Conditions.Any(c => c.Type == "Stalled" && c.Status);
}

/// <summary>
/// Carries a compiled campaign out, one pass at a time, keeping every step's progress in the
/// MigrationRun's status so that a restarted reconciler rebuilds its state from the cluster. A step
/// starts when its dependencies are done, its window is open now with room for its predicted
/// duration, and the graph's limits (per cluster, per source node, per link) have room; it creates
/// the step's objects under their deterministic names, and is done when the objects say so
/// (snapshot ready, DataVolumes imported, VMIM Succeeded, VMI running where it should). Failures
/// are retried with backoff, then follow strategy.onFailure. A migration still running when its
/// window closes is cancelled and waits for the next window.
/// </summary>
public sealed partial class CampaignExecutor
{
    public const string RunApiVersion = "migration.reconcile.dev/v1alpha1";
    public const string RunKind = "MigrationRun";
    public const string RunNamespace = "reconcile-system";
    private static readonly TimeSpan BaseBackoff = TimeSpan.FromSeconds(30);

    private readonly CompiledCampaign campaign;
    private readonly IReadOnlyDictionary<string, IClusterGateway> clusters;
    private readonly IClusterGateway home;
    private readonly Func<DateTime> clock;
    private readonly string? revision;
    private readonly Dictionary<string, GraphStep> steps;
    private readonly JsonObject run;
    private readonly Dictionary<string, List<JsonObject>> parsedFiles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<WindowOccurrence>> windowCache = new(StringComparer.Ordinal);
    private readonly ReplicaGate replicaGate;

    public CampaignExecutor(CompiledCampaign campaign, IReadOnlyDictionary<string, IClusterGateway> clusters, string homeCluster, Func<DateTime> clock, string? revision = null)
    {
        this.campaign = campaign;
        this.clusters = clusters;
        replicaGate = new ReplicaGate(clusters);
        home = clusters[homeCluster];
        this.clock = clock;
        this.revision = revision;
        steps = campaign.Graph.Steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        run = Objects("run/migrationrun.yaml").Single();
        RunName = run["metadata"]!["name"]!.GetValue<string>();
    }

    public string RunName { get; }

    /// <summary>Applies the run's CRD, its static manifests and its MigrationRun: the part Argo CD or Flux could sync too.</summary>
    public async Task ApplyStaticAsync(CancellationToken cancel)
    {
        foreach (var crd in Objects("run/migrationrun-crd.yaml"))
        {
            await home.ApplyAsync(crd, cancel);
        }

        await home.EnsureNamespaceAsync(RunNamespace, cancel);
        foreach (var path in campaign.Files.Keys.Where(p => p == "run/prometheusrule-reconciler.yaml"))
        {
            foreach (var rule in Objects(path))
            {
                await home.ApplyAsync(rule, cancel);
            }
        }

        foreach (var (cluster, gateway) in clusters)
        {
            foreach (var path in campaign.Files.Keys.Where(p => p.StartsWith($"{cluster}/static/", StringComparison.Ordinal) && !p.EndsWith("kustomization.yaml", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                foreach (var obj in Objects(path))
                {
                    await gateway.ApplyAsync(obj, cancel);
                }
            }
        }

        await ExchangeCertificateAuthoritiesAsync(cancel);
        await home.ApplyAsync((JsonObject)run.DeepClone(), cancel);
    }

    /// <summary>
    /// Decentralized migration needs each cluster to trust its peers' KubeVirt CA: every cluster that
    /// migrates to or from another gets the peers' kubevirt-ca bundles in its kubevirt-external-ca,
    /// which virt-operator merges and clears (kubevirt-facts §6). Done on every apply, since the CAs
    /// rotate (7 days by default).
    /// </summary>
    private async Task ExchangeCertificateAuthoritiesAsync(CancellationToken cancel)
    {
        var pairs = campaign.Graph.Steps.Where(s => s.Kind == StepKind.Migrate && s.From is not null && s.To is not null && s.From.Cluster != s.To.Cluster)
            .SelectMany(s => new[] { (s.From!.Cluster, s.To!.Cluster), (s.To.Cluster, s.From.Cluster) }).Distinct().ToList();
        foreach (var cluster in pairs.Select(p => p.Item1).Distinct().Order(StringComparer.Ordinal))
        {
            var bundle = new System.Text.StringBuilder();
            foreach (var peer in pairs.Where(p => p.Item1 == cluster).Select(p => p.Item2).Order(StringComparer.Ordinal))
            {
                var ca = await clusters[peer].GetAsync("v1", "ConfigMap", KubeVirtNamespace, "kubevirt-ca", cancel);
                bundle.Append(ca?["data"]?["ca-bundle"]?.GetValue<string>() ?? "");
            }

            var ours = await clusters[cluster].GetAsync("v1", "ConfigMap", KubeVirtNamespace, "kubevirt-ca", cancel);
            var known = ours?["data"]?["ca-bundle"]?.GetValue<string>() ?? "";
            var missing = string.Concat(System.Text.RegularExpressions.Regex.Matches(bundle.ToString(), "-----BEGIN CERTIFICATE-----[\\s\\S]*?-----END CERTIFICATE-----\\n?")
                .Select(m => m.Value).Where(c => !known.Contains(c.TrimEnd('\n'), StringComparison.Ordinal)));
            if (missing.Length > 0)
            {
                await clusters[cluster].ApplyAsync(new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "ConfigMap",
                    ["metadata"] = new JsonObject { ["name"] = "kubevirt-external-ca", ["namespace"] = KubeVirtNamespace },
                    ["data"] = new JsonObject { ["ca-bundle"] = missing },
                }, cancel);
            }
        }
    }

    private const string KubeVirtNamespace = "kubevirt";

    /// <summary>One reconcile pass: read the state from the MigrationRun, observe running steps, start what may start, write the state back.</summary>
    public async Task<PassResult> PassAsync(CancellationToken cancel)
    {
        var now = clock();
        var live = await home.GetAsync(RunApiVersion, RunKind, RunNamespace, RunName, cancel);
        if (live is null)
        {
            await ApplyStaticAsync(cancel);
            live = await home.GetAsync(RunApiVersion, RunKind, RunNamespace, RunName, cancel) ?? throw new InvalidOperationException($"MigrationRun {RunName} was not created");
        }

        // Steps of an earlier revision that this graph no longer has are dropped; finished ones keep their state.
        var state = (live["status"]?["steps"]?.AsArray() ?? []).Select(s => StepState.FromJson(s!)).Where(s => steps.ContainsKey(s.Id) || IsRollback(s.Id)).ToDictionary(s => s.Id, StringComparer.Ordinal);
        foreach (var step in campaign.Graph.Steps)
        {
            // Stage and kind follow the current graph (a new revision may re-stage pending steps).
            state[step.Id] = state.TryGetValue(step.Id, out var known)
                ? known with { Stage = step.Stage, Kind = GraphWriter.KindName(step.Kind) }
                : new StepState(step.Id, StepPhase.Pending, Stage: step.Stage, Kind: GraphWriter.KindName(step.Kind));
        }

        var events = new PassEvents(now);
        foreach (var id in state.Keys.Where(id => state[id].Phase == StepPhase.Running && !IsRollback(id)).Order(StringComparer.Ordinal).ToList())
        {
            state[id] = await ObserveAsync(steps[id], state[id], now, events, cancel);
        }

        var failed = state.Values.Count(s => s.Phase == StepPhase.Failed);
        var stalled = failed > 0 && campaign.Plan.Strategy.OnFailure != "Continue" || failed > campaign.Plan.Strategy.MaxFailures;
        var suspended = campaign.Plan.Suspend || live["spec"]?["suspend"]?.GetValue<bool>() == true;
        SkipDependentsOfFailures(state);
        if (!stalled && !suspended)
        {
            await StartEligibleAsync(state, now, events, cancel);
        }
        else if (stalled && campaign.Plan.Strategy.OnFailure == "Rollback")
        {
            await RollBackAsync(state, now, events, cancel);
        }

        var conditions = Conditions(state, stalled, suspended, now);
        var status = new JsonObject
        {
            ["observedRevision"] = revision ?? campaign.Graph.Revision ?? campaign.Graph.Digest,
            ["steps"] = new JsonArray([.. state.Values.OrderBy(s => s.Id, StringComparer.Ordinal).Select(s => (JsonNode)s.ToJson())]),
            ["conditions"] = new JsonArray([.. conditions.Select(c => (JsonNode)c.ToJson())]),
        };
        if (!JsonNode.DeepEquals(StripTimes(live["status"]), StripTimes(status)))
        {
            live["status"] = status;
            await home.ApplyStatusAsync(live, cancel);
        }

        foreach (var (reason, warning, message) in events.Recorded)
        {
            await home.RecordEventAsync(live, warning ? "Warning" : "Normal", reason, message, now, cancel);
        }

        var windowLeft = campaign.Graph.Steps.Where(s => s.Kind == StepKind.Migrate && state[s.Id].Phase == StepPhase.Running)
            .Select(s => OpenWindow(s, now)).OfType<WindowOccurrence>().Select(w => (double?)(w.End - now).TotalSeconds).Min();
        return new PassResult([.. state.Values.OrderBy(s => s.Id, StringComparer.Ordinal)], conditions, events.Lines)
        {
            BytesMoved = campaign.Graph.Steps.Where(s => Moves(s) && state[s.Id].Phase == StepPhase.Succeeded).Sum(s => s.Predicted.Bytes),
            WindowSecondsLeft = campaign.Plan.Windows.Allow.IsEmpty ? null : windowLeft,
        };
    }

    // Condition times change only with the condition; compare without them to avoid needless writes.
    private static JsonNode? StripTimes(JsonNode? status)
    {
        var copy = status?.DeepClone();
        foreach (var condition in copy?["conditions"]?.AsArray() ?? [])
        {
            (condition as JsonObject)?.Remove("lastTransitionTime");
        }

        return copy;
    }

    private List<Condition> Conditions(Dictionary<string, StepState> state, bool stalled, bool suspended, DateTime now)
    {
        var rollbacks = state.Values.Where(s => IsRollback(s.Id)).ToList();
        var forward = state.Values.Where(s => !IsRollback(s.Id)).ToList();
        var done = forward.Count(s => s.IsDone);
        var total = forward.Count;
        var running = state.Values.Count(s => s.Phase == StepPhase.Running);
        var finished = done == total;
        var rollbackNote = rollbacks.Count == 0 ? "" : rollbacks.All(r => r.Phase == StepPhase.Succeeded)
            ? $"; rolled back {rollbacks.Count} migration(s)"
            : $"; rolling back: {rollbacks.Count(r => r.Phase == StepPhase.Succeeded)} of {rollbacks.Count} migration(s) reversed, {rollbacks.Count(r => r.Phase == StepPhase.Failed)} failed";
        return
        [
            new("Ready", finished, finished ? "Completed" : "InProgress", $"{done} of {total} steps done", now),
            new("Progressing", running > 0, running > 0 ? "StepsRunning" : "Idle", $"{running} steps running", now),
            new("Stalled", stalled, !stalled ? "None" : rollbacks.Count > 0 && rollbacks.All(r => r.Phase == StepPhase.Succeeded) ? "RolledBack" : "StepFailed",
                stalled ? $"{forward.Count(s => s.Phase == StepPhase.Failed)} step(s) failed; strategy.onFailure is {campaign.Plan.Strategy.OnFailure}{rollbackNote}" : "no failed steps", now),
            new("Suspended", suspended, suspended ? "Suspended" : "Active", suspended ? "spec.suspend is true: nothing new starts" : "running", now),
        ];
    }

    /// <summary>
    /// With onFailure Continue, what depends on a failed step will not run. Stage gates are never
    /// skipped: they wait for a whole stage, and one failed VM must not hold back the other VMs.
    /// </summary>
    private void SkipDependentsOfFailures(Dictionary<string, StepState> state)
    {
        if (campaign.Plan.Strategy.OnFailure != "Continue")
        {
            return;
        }

        bool changed;
        do
        {
            changed = false;
            foreach (var step in campaign.Graph.Steps.Where(s => s.Kind != StepKind.Gate && state[s.Id].Phase == StepPhase.Pending))
            {
                if (step.DependsOn.Any(d => state[d].Phase is StepPhase.Failed or StepPhase.Skipped))
                {
                    state[step.Id] = state[step.Id] with { Phase = StepPhase.Skipped, Message = "a step it depends on failed" };
                    changed = true;
                }
            }
        }
        while (changed);
    }

    private async Task StartEligibleAsync(Dictionary<string, StepState> state, DateTime now, PassEvents events, CancellationToken cancel)
    {
        var limits = campaign.Graph.Limits;
        var candidates = campaign.Graph.Steps
            .Where(s => state[s.Id].Phase == StepPhase.Pending && (state[s.Id].RetryAfter is not { } retry || retry <= now))
            .Where(s => s.DependsOn.All(d => state[d].IsDone || s.Kind == StepKind.Gate && state[d].Phase == StepPhase.Failed && campaign.Plan.Strategy.OnFailure == "Continue"))
            .OrderBy(s => s.PlannedStart).ThenByDescending(s => s.Priority).ThenBy(s => s.Id, StringComparer.Ordinal)
            .ToList();
        // What moves data now, once per pass (large campaigns have thousands of candidates); grown as steps start.
        var running = campaign.Graph.Steps.Where(s => Moves(s) && state[s.Id].Phase == StepPhase.Running).ToList();
        foreach (var step in candidates)
        {
            if (step.Kind == StepKind.Gate)
            {
                state[step.Id] = state[step.Id] with { Phase = StepPhase.Succeeded, StartTime = now, EndTime = now };
                continue;
            }

            if (Moves(step) && (!LimitsAllow(step, running, limits) || !WindowFits(step, now)))
            {
                continue;
            }

            if (Moves(step))
            {
                running.Add(step);
            }

            // Record the start before creating anything: a restart then finds the step Running and its
            // objects (created under deterministic names) or re-applies them; it never starts it twice.
            state[step.Id] = state[step.Id] with { Phase = StepPhase.Running, Attempts = state[step.Id].Attempts + 1, StartTime = now, EndTime = null, RetryAfter = null, Message = null };
            await PersistStepAsync(state, cancel);
            await CreateAsync(step, cancel);
            events.Add("StepStarted", false, $"started {step.Id} (attempt {state[step.Id].Attempts})");
        }
    }

    /// <summary>Writes the steps to the MigrationRun's status at once (a merge patch of status.steps: no read needed).</summary>
    private async Task PersistStepAsync(Dictionary<string, StepState> state, CancellationToken cancel)
    {
        var identity = new JsonObject
        {
            ["apiVersion"] = RunApiVersion,
            ["kind"] = RunKind,
            ["metadata"] = new JsonObject { ["name"] = RunName, ["namespace"] = RunNamespace },
            ["status"] = new JsonObject { ["steps"] = new JsonArray([.. state.Values.OrderBy(s => s.Id, StringComparer.Ordinal).Select(s => (JsonNode)s.ToJson())]) },
        };
        await home.ApplyStatusAsync(identity, cancel);
    }

    /// <summary>What a pass did: log lines ("time text") and the Kubernetes Events to record on the run.</summary>
    private sealed class PassEvents(DateTime now)
    {
        public List<string> Lines { get; } = [];

        public List<(string Reason, bool Warning, string Message)> Recorded { get; } = [];

        public void Add(string reason, bool warning, string message)
        {
            Lines.Add($"{StepState.Time(now)} {message}");
            Recorded.Add((reason, warning, message));
        }
    }

    /// <summary>Steps that move data are windowed and limited; snapshots, verification and gates are not.</summary>
    private bool Moves(GraphStep step) => step.Kind == StepKind.Migrate || step.Kind == StepKind.ReplicateStorage;

    private bool Windowed(GraphStep step) => step.Kind == StepKind.Migrate || step.Kind == StepKind.ReplicateStorage && !campaign.Plan.Strategy.ReplicateOutsideWindows;

    /// <summary>The allow-window occurrence open at <paramref name="now"/> for the step's clusters, if any.</summary>
    private WindowOccurrence? OpenWindow(GraphStep step, DateTime now)
    {
        var clustersOfStep = new[] { step.From!.Cluster, step.To?.Cluster ?? step.From.Cluster }.Distinct().Order(StringComparer.Ordinal).ToList();
        // The calendar is expanded once per set of clusters and day, not once per step and pass.
        var key = $"{string.Join(",", clustersOfStep)}@{now.Date:yyyy-MM-dd}";
        if (!windowCache.TryGetValue(key, out var occurrences))
        {
            occurrences = WindowCalendar.Expand(campaign.Plan.Windows, clustersOfStep, now.Date.AddDays(-3), TimeSpan.FromDays(4));
            windowCache[key] = occurrences;
        }

        return occurrences.FirstOrDefault(w => w.Start <= now && now < w.End);
    }

    private bool WindowFits(GraphStep step, DateTime now)
    {
        if (!Windowed(step) || campaign.Plan.Windows.Allow.IsEmpty)
        {
            return true;
        }

        return OpenWindow(step, now) is { } window && (window.End - now).TotalSeconds >= step.Predicted.Seconds;
    }

    private bool LimitsAllow(GraphStep step, List<GraphStep> running, GraphLimits limits)
    {
        foreach (var cluster in new[] { step.From!.Cluster, step.To!.Cluster }.Distinct())
        {
            if (limits.PerCluster.TryGetValue(cluster, out var max) && running.Count(s => s.From!.Cluster == cluster || s.To!.Cluster == cluster) >= max)
            {
                return false;
            }
        }

        if (step.From.Node is { } node && running.Count(s => s.From!.Cluster == step.From.Cluster && s.From.Node == node) >= limits.PerNode)
        {
            return false;
        }

        if (step.Link is { } link && limits.PerLink.TryGetValue(link, out var perLink) && running.Count(s => s.Link == link) >= perLink)
        {
            return false;
        }

        // Groups: never more of a group's VMs moving at once than it allows (one VM's own steps count once).
        return campaign.Groups.Where(g => g.Vms.Contains(step.Vm!)).All(g =>
            running.Where(s => g.Vms.Contains(s.Vm!)).Select(s => s.Vm).Distinct().Count(v => v != step.Vm) < g.MaxConcurrent);
    }

    /// <summary>
    /// The step's objects, target cluster first (the receiving side waits for the sender, as Forklift orders
    /// them), except where the step exports disks: then the export's side first, and the importing side only
    /// once the export publishes its CA (CDI's importer mounts the certConfigMap). Idempotent: a pass that
    /// finds the step's objects missing calls it again.
    /// </summary>
    private async Task CreateAsync(GraphStep step, CancellationToken cancel)
    {
        creationProblems.Remove(step.Id);
        var export = ExportOf(step);
        // A staged cut-over over replicas goes source first (stop, demote), then the target (promote, start).
        var all = StepObjects(step).ToList();
        var replicated = step.Kind == StepKind.Migrate && all.Any(p => p.Objects.Any(o => Kind(o) == ReplicaGate.Kind));
        var ordered = all.OrderBy(p => export is not null ? (p.Cluster == export.Value.Cluster ? 0 : 1)
            : replicated ? (p.Cluster == step.From?.Cluster ? 0 : 1)
            : (p.Cluster == step.From?.Cluster ? 1 : 0));
        foreach (var (cluster, objects) in ordered)
        {
            if (export is { } e && cluster != e.Cluster && !await ShareExportCredentialsAsync(step, e.Cluster, e.Export, cancel))
            {
                return;
            }

            var gateway = clusters[cluster];
            foreach (var ns in objects.Select(o => o["metadata"]?["namespace"]?.GetValue<string>()).OfType<string>().Distinct())
            {
                await gateway.EnsureNamespaceAsync(ns, cancel);
            }

            foreach (var rendered in objects)
            {
                var obj = rendered;
                // KubeVirt admits a receiving VMIM only once the receiver VM's WaitAsReceiver VMI exists
                // (migration-create-admitter.go); until then stop here, and the next pass goes on (Outcome.Missing).
                if (obj["spec"]?["receive"] is not null && obj["spec"]?["vmiName"]?.GetValue<string>() is { } vmi &&
                    await gateway.GetAsync("kubevirt.io/v1", "VirtualMachineInstance", obj["metadata"]!["namespace"]!.GetValue<string>(), vmi, cancel) is null)
                {
                    return;
                }

                if (replicated && !await replicaGate.MayApplyAsync(step, cluster, obj, all, SourceVm(step), cancel))
                {
                    return;
                }

                if (Kind(obj) == "VirtualMachine" && !IsPatch(obj) && cluster != step.From?.Cluster)
                {
                    var (derived, problem) = await ReceiverFromSourceAsync(step, obj, cancel);
                    if (problem is not null)
                    {
                        creationProblems[step.Id] = problem;
                        return;
                    }

                    obj = derived!;
                }
                else if (Kind(obj) == "VirtualMachine" && IsPatch(obj) && obj["spec"]?["runStrategy"]?.GetValue<string>() == "Halted")
                {
                    await KeepRunStrategyAsync(gateway, obj, cancel);
                }

                await gateway.ApplyAsync(obj, cancel);
            }
        }
    }

    private (string Namespace, string Name) SourceVm(GraphStep step) => (TargetNamespace(step, step.From!.Cluster, VmOf(step).Namespace), VmOf(step).Name);

    /// <summary>Why a step's objects could not be made (the next observation fails the step with it).</summary>
    private readonly Dictionary<string, string> creationProblems = new(StringComparer.Ordinal);

    private static bool IsPatch(JsonObject obj) => obj["metadata"]?["annotations"]?[KubernetesGateway.ApplyAnnotation]?.GetValue<string>() == "patch";

    /// <summary>The receiver built from the live source VM (ReceiverDerivation); the rendered one when the source VM is gone.</summary>
    private async Task<(JsonObject? Vm, string? Problem)> ReceiverFromSourceAsync(GraphStep step, JsonObject rendered, CancellationToken cancel)
    {
        var (ns, name) = VmOf(step);
        var from = step.From!.Cluster;
        var source = await clusters[from].GetAsync("kubevirt.io/v1", "VirtualMachine", TargetNamespace(step, from, ns), name, cancel);
        return source is null ? (rendered, null) : ReceiverDerivation.Derive(source, rendered);
    }

    /// <summary>Before a cold move halts a VM, the run strategy it had goes into an annotation, for the copy on the target and for a rollback.</summary>
    private static async Task KeepRunStrategyAsync(IClusterGateway gateway, JsonObject patch, CancellationToken cancel)
    {
        var live = await gateway.GetAsync("kubevirt.io/v1", "VirtualMachine", patch["metadata"]!["namespace"]!.GetValue<string>(), patch["metadata"]!["name"]!.GetValue<string>(), cancel);
        if (live is not null)
        {
            var annotations = (JsonObject)(patch["metadata"]!["annotations"] ??= new JsonObject());
            annotations[ReceiverDerivation.OriginalRunStrategyAnnotation] = ReceiverDerivation.RunStrategyOf(live);
        }
    }

    private (string Cluster, JsonObject Export)? ExportOf(GraphStep step) =>
        StepObjects(step).SelectMany(p => p.Objects.Select(o => (p.Cluster, Obj: o))).FirstOrDefault(x => Kind(x.Obj) == "VirtualMachineExport") is { Obj: not null } found
            ? (found.Cluster, found.Obj)
            : null;

    /// <summary>
    /// What the importing side needs from the export, as KubeVirt's own generated DataVolumes get it
    /// (virt-exportserver/exportserver.go): the token, sent as the x-kubevirt-export-token header from a
    /// Secret in the target cluster, and the export proxy's CA (status.links.external.cert) in a ConfigMap
    /// under key ca.pem named by each DataVolume's certConfigMap. The token is made once per step and kept
    /// in the source Secret (tokenSecretRef), so a restart reuses it. False while the export has not yet
    /// published its CA: the importing side waits for the next pass.
    /// </summary>
    private async Task<bool> ShareExportCredentialsAsync(GraphStep step, string exportCluster, JsonObject export, CancellationToken cancel)
    {
        var exportNs = export["metadata"]!["namespace"]!.GetValue<string>();
        var source = clusters[exportCluster];
        if (export["spec"]?["tokenSecretRef"]?.GetValue<string>() is { } tokenSecret)
        {
            var existing = await source.GetAsync("v1", "Secret", exportNs, tokenSecret, cancel);
            var token = existing?["data"]?["token"]?.GetValue<string>() is { } encoded
                ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(encoded))
                : Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
            await source.ApplyAsync(Secret(tokenSecret, exportNs, new JsonObject { ["token"] = token }), cancel);
            foreach (var (cluster, list) in StepObjects(step).Where(o => o.Cluster != exportCluster))
            {
                foreach (var (ns, name) in list.SelectMany(o => HttpSources(o)).SelectMany(s => s.HeaderSecrets.Select(h => (s.Namespace, h))).Distinct())
                {
                    await clusters[cluster].EnsureNamespaceAsync(ns, cancel);
                    await clusters[cluster].ApplyAsync(Secret(name, ns, new JsonObject { ["token"] = $"x-kubevirt-export-token: {token}" }), cancel);
                }
            }
        }

        var live = await source.GetAsync(export["apiVersion"]!.GetValue<string>(), "VirtualMachineExport", exportNs, export["metadata"]!["name"]!.GetValue<string>(), cancel);
        var needsCa = StepObjects(step).Where(o => o.Cluster != exportCluster).SelectMany(o => o.Objects.SelectMany(HttpSources)).Any(s => s.CertConfigMap is not null);
        if (!needsCa)
        {
            return true;
        }

        if (live?["status"]?["links"]?["external"]?["cert"]?.GetValue<string>() is not { Length: > 0 } ca)
        {
            return false;
        }

        foreach (var (cluster, list) in StepObjects(step).Where(o => o.Cluster != exportCluster))
        {
            foreach (var (ns, name) in list.SelectMany(o => HttpSources(o)).Where(s => s.CertConfigMap is not null).Select(s => (s.Namespace, s.CertConfigMap!)).Distinct())
            {
                await clusters[cluster].EnsureNamespaceAsync(ns, cancel);
                await clusters[cluster].ApplyAsync(CaConfigMap(name, ns, ca), cancel);
            }
        }

        return true;
    }

    private static JsonObject CaConfigMap(string name, string ns, string ca) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "reconcile" } },
        ["data"] = new JsonObject { ["ca.pem"] = ca },
    };

    private sealed record HttpSource(string Namespace, IReadOnlyList<string> HeaderSecrets, string? CertConfigMap);

    /// <summary>The HTTP import sources of a DataVolume, or of a VM's dataVolumeTemplates.</summary>
    private static IEnumerable<HttpSource> HttpSources(JsonObject obj)
    {
        var ns = obj["metadata"]?["namespace"]?.GetValue<string>() ?? "default";
        var specs = Kind(obj) == "DataVolume" ? [obj["spec"]] : (obj["spec"]?["dataVolumeTemplates"]?.AsArray() ?? []).Select(t => t?["spec"]);
        foreach (var http in specs.Select(spec => spec?["source"]?["http"]).OfType<JsonObject>())
        {
            yield return new HttpSource(ns,
                [.. (http["secretExtraHeaders"]?.AsArray() ?? []).Select(h => h!.GetValue<string>())],
                http["certConfigMap"]?.GetValue<string>());
        }
    }

    private static JsonObject Secret(string name, string ns, JsonObject stringData) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "reconcile" } },
        ["type"] = "Opaque",
        ["data"] = new JsonObject(stringData.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(p.Value!.GetValue<string>()))))),
    };

    private IEnumerable<(string Cluster, List<JsonObject> Objects)> StepObjects(GraphStep step)
    {
        foreach (var cluster in new[] { step.From?.Cluster, step.To?.Cluster }.OfType<string>().Distinct())
        {
            var path = $"{cluster}/steps/{step.Id}.yaml";
            if (campaign.Files.ContainsKey(path))
            {
                yield return (cluster, Objects(path));
            }
        }
    }

    private async Task<StepState> ObserveAsync(GraphStep step, StepState current, DateTime now, PassEvents events, CancellationToken cancel)
    {
        var outcome = await OutcomeAsync(step, cancel);
        switch (outcome)
        {
            case Outcome.Succeeded:
                events.Add("StepFinished", false, $"finished {step.Id}");
                return current with { Phase = StepPhase.Succeeded, EndTime = now, Message = null };
            case Outcome.Failed:
                return await FailAsync(step, current, now, events, cancel);
            case Outcome.Missing:
                // Started, but its objects are gone (a restart after they were cleaned up, or never created): create them again.
                await CreateAsync(step, cancel);
                return current;
        }

        // Only a live migration is cancelled when its window closes (the VM keeps running where it was); a cold
        // move or staged cut-over past its window finishes, since stopping it halfway would leave the VM down.
        if (Windowed(step) && step.Kind == StepKind.Migrate && !IsCold(step) && current.StartTime is { } started && !campaign.Plan.Windows.Allow.IsEmpty &&
            OpenWindow(step, started) is { } window && now >= window.End)
        {
            await CleanUpAsync(step, cancel);
            events.Add("StepCancelled", true, $"cancelled {step.Id}: its window {window.Name} closed");
            return current with { Phase = StepPhase.Pending, Attempts = current.Attempts - 1, Message = $"cancelled when window {window.Name} closed at {StepState.Time(window.End)}; waits for the next window" };
        }

        return current;
    }

    private async Task<StepState> FailAsync(GraphStep step, StepState current, DateTime now, PassEvents events, CancellationToken cancel)
    {
        var reason = await FailureReasonAsync(step, cancel);
        await CleanUpAsync(step, cancel);
        if (current.Attempts <= campaign.Plan.Strategy.Retries)
        {
            var backoff = BaseBackoff * Math.Pow(2, current.Attempts - 1);
            events.Add("StepFailed", true, $"{step.Id} failed ({reason}); retrying after {backoff.TotalSeconds} s");
            return current with { Phase = StepPhase.Pending, RetryAfter = now + backoff, Message = $"attempt {current.Attempts} failed: {reason}" };
        }

        events.Add("StepFailed", true, $"{step.Id} failed ({reason}); no retries left, onFailure {campaign.Plan.Strategy.OnFailure}");
        return current with { Phase = StepPhase.Failed, EndTime = now, Message = reason };
    }

    private enum Outcome
    {
        Running,
        Succeeded,
        Failed,
        Missing,
    }

    private async Task<Outcome> OutcomeAsync(GraphStep step, CancellationToken cancel)
    {
        if (creationProblems.ContainsKey(step.Id))
        {
            return Outcome.Failed;
        }

        switch (step.Kind)
        {
            case StepKind.Snapshot:
            {
                var snapshot = StepObjects(step).SelectMany(p => p.Objects.Select(o => (p.Cluster, Obj: o))).FirstOrDefault(o => Kind(o.Obj) == "VirtualMachineSnapshot");
                if (snapshot.Obj is null)
                {
                    return Outcome.Succeeded;
                }

                var live = await Get(snapshot.Cluster, snapshot.Obj, cancel);
                return live is null ? Outcome.Missing : live["status"]?["readyToUse"]?.GetValue<bool>() == true ? Outcome.Succeeded
                    : live["status"]?["phase"]?.GetValue<string>() == "Failed" ? Outcome.Failed : Outcome.Running;
            }

            case StepKind.ReplicateStorage:
            {
                // Done once every source replica is Primary and has synced once, and every target one Secondary.
                var objects = StepObjects(step).ToList();
                foreach (var (cluster, list) in objects)
                {
                    foreach (var replication in list.Where(o => Kind(o) == ReplicaGate.Kind))
                    {
                        if (await Get(cluster, replication, cancel) is null)
                        {
                            return Outcome.Missing;
                        }
                    }

                    if (await replicaGate.FailureAsync(cluster, ReplicaGate.Replications(objects, cluster), cancel) is { } failure)
                    {
                        creationProblems[step.Id] = failure;
                        return Outcome.Failed;
                    }
                }

                var (from, to) = (step.From!.Cluster, step.To!.Cluster);
                return await replicaGate.AllAsync(from, ReplicaGate.Replications(objects, from), "Primary", cancel, synced: true) &&
                       await replicaGate.AllAsync(to, ReplicaGate.Replications(objects, to), "Secondary", cancel)
                    ? Outcome.Succeeded
                    : Outcome.Running;
            }

            case StepKind.Migrate:
                return await MigrationOutcomeAsync(step, cancel);
            case StepKind.Verify:
                return await VerifyAsync(step, cancel) ? Outcome.Succeeded : Outcome.Running;
            default:
                return Outcome.Succeeded;
        }
    }

    private async Task<Outcome> MigrationOutcomeAsync(GraphStep step, CancellationToken cancel)
    {
        var objects = StepObjects(step).ToList();
        var source = objects.FirstOrDefault(o => o.Cluster == step.From!.Cluster);
        var vmim = source.Objects?.FirstOrDefault(o => Kind(o) == "VirtualMachineInstanceMigration");
        if (vmim is null)
        {
            // A cold move: done when the VM runs on the target. Its target side is created only once the
            // export has published its CA, so until it exists the step is not yet fully created.
            if (await VmRunsAtTargetAsync(step, cancel))
            {
                return Outcome.Succeeded;
            }

            foreach (var (cluster, _) in objects)
            {
                if (await replicaGate.FailureAsync(cluster, ReplicaGate.Replications(objects, cluster), cancel) is { } failure)
                {
                    creationProblems[step.Id] = failure;
                    return Outcome.Failed;
                }
            }

            foreach (var (cluster, list) in objects.Where(o => o.Cluster != step.From!.Cluster))
            {
                foreach (var obj in list)
                {
                    if (await Get(cluster, obj, cancel) is null)
                    {
                        return Outcome.Missing;
                    }
                }
            }

            return Outcome.Running;
        }

        var live = await Get(source.Cluster, vmim, cancel);
        if (live is null)
        {
            // KubeVirt garbage-collects finished VMIMs: if the VM already runs where it should, the migration happened.
            return await VmRunsAtTargetAsync(step, cancel) ? Outcome.Succeeded : Outcome.Missing;
        }

        return live["status"]?["phase"]?.GetValue<string>() switch
        {
            "Succeeded" => Outcome.Succeeded,
            "Failed" => Outcome.Failed,
            _ => Outcome.Running,
        };
    }

    /// <summary>The step's VMI in its target cluster (the source's, for steps on one cluster), if it is running.</summary>
    private async Task<JsonObject?> RunningVmiAtTargetAsync(GraphStep step, CancellationToken cancel)
    {
        var (ns, name) = VmOf(step);
        var target = step.To?.Cluster ?? step.From!.Cluster;
        var vmi = await clusters[target].GetAsync("kubevirt.io/v1", "VirtualMachineInstance", TargetNamespace(step, target, ns), name, cancel);
        return vmi?["status"]?["phase"]?.GetValue<string>() == "Running" ? vmi : null;
    }

    private async Task<bool> VmRunsAtTargetAsync(GraphStep step, CancellationToken cancel)
    {
        if (await RunningVmiAtTargetAsync(step, cancel) is not { } vmi)
        {
            return false;
        }

        // Inside one cluster the VM must have left its source node.
        return step.From is null || step.From.Cluster != (step.To?.Cluster ?? step.From.Cluster) || step.From.Node is null || vmi["status"]?["nodeName"]?.GetValue<string>() != step.From.Node;
    }

    private async Task<bool> VerifyAsync(GraphStep step, CancellationToken cancel)
    {
        if (await RunningVmiAtTargetAsync(step, cancel) is not { } vmi)
        {
            return false;
        }

        return !campaign.Plan.Strategy.Verify.GuestAgent ||
            vmi["status"]?["conditions"]?.AsArray().Any(c => c?["type"]?.GetValue<string>() == "AgentConnected" && c["status"]?.GetValue<string>() == "True") == true;
    }

    /// <summary>Where the VM's objects live in <paramref name="cluster"/>: its own namespace in its source cluster, the move's targetNamespace elsewhere (as the renderer places them).</summary>
    private string TargetNamespace(GraphStep step, string cluster, string ns)
    {
        var move = campaign.Plan.Moves.FirstOrDefault(m => m.Name == step.Move);
        return move is null || cluster == move.From ? ns : move.TargetNamespace ?? ns;
    }

    private static (string Namespace, string Name) VmOf(GraphStep step)
    {
        var parts = step.Vm!.Split('/');
        return (parts[0], parts[1]);
    }

    private async Task<string> FailureReasonAsync(GraphStep step, CancellationToken cancel)
    {
        if (creationProblems.TryGetValue(step.Id, out var problem))
        {
            return problem;
        }

        foreach (var (cluster, objects) in StepObjects(step))
        {
            foreach (var obj in objects.Where(o => Kind(o) == "VirtualMachineInstanceMigration"))
            {
                if ((await Get(cluster, obj, cancel))?["status"]?["migrationState"]?["failureReason"]?.GetValue<string>() is { } reason)
                {
                    return reason;
                }
            }
        }

        return $"{step.Kind} failed";
    }

    /// <summary>Deletes a failed or cancelled step's one-shot objects: both VMIMs and the receiver VM (KubeVirt's retry rule for decentralized migrations).</summary>
    private async Task CleanUpAsync(GraphStep step, CancellationToken cancel)
    {
        foreach (var (cluster, objects) in StepObjects(step))
        {
            foreach (var obj in objects.Where(o => Kind(o) is "VirtualMachineInstanceMigration" or "DataVolume" ||
                                                   Kind(o) == "VirtualMachine" && o["spec"]?["runStrategy"]?.GetValue<string>() == "WaitAsReceiver"))
            {
                await clusters[cluster].DeleteAsync(obj["apiVersion"]!.GetValue<string>(), Kind(obj), obj["metadata"]?["namespace"]?.GetValue<string>(), obj["metadata"]!["name"]!.GetValue<string>(), cancel);
            }
        }
    }

    private Task<JsonObject?> Get(string cluster, JsonObject obj, CancellationToken cancel) =>
        clusters[cluster].GetAsync(obj["apiVersion"]!.GetValue<string>(), Kind(obj), obj["metadata"]?["namespace"]?.GetValue<string>(), obj["metadata"]!["name"]!.GetValue<string>(), cancel);

    private static string Kind(JsonObject obj) => obj["kind"]?.GetValue<string>() ?? "";

    /// <summary>The objects of one rendered file: parsed once per executor (passes ask again and again), handed out as copies.</summary>
    private List<JsonObject> Objects(string path)
    {
        if (!parsedFiles.TryGetValue(path, out var objects))
        {
            var documents = new List<PlanDocument>();
            var problems = new List<Diagnostic>();
            PlanLoader.LoadText(path, campaign.Files[path], documents, problems);
            if (problems.Count > 0)
            {
                throw new InvalidOperationException($"{path}: {problems[0].Message}");
            }

            objects = [.. documents.Select(d => d.Root).OfType<JsonObject>()];
            parsedFiles[path] = objects;
        }

        return [.. objects.Select(o => (JsonObject)o.DeepClone())];
    }
}
