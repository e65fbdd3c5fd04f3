using System.Globalization;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Semantics;
using Scriban;
using Scriban.Functions;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Reconcile.Compiler.Rendering;

/// <summary>A rendered file, relative to the output directory.</summary>
public sealed record RenderedFile(string Path, string Content);

public sealed record RenderResult(IReadOnlyList<RenderedFile> Files, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// Renders the manifests of one planned MigrationPlan, one folder per cluster. Templates see only
/// plain data (strings, numbers, lists, maps) built here: no .NET objects, no clock, no filesystem.
/// Rendering is parse, check, render; every template problem is a diagnostic at the template's
/// file:line, and every rendered file must be one YAML mapping.
/// </summary>
public sealed partial class ManifestRenderer(TemplateSet templates)
{
    public const string LabelPrefix = "migration.reconcile.dev/";

    /// <summary>Namespace of KubeVirt's own pods (virt-handler, the synchronization controller).</summary>
    public const string KubeVirtNamespace = "kubevirt";

    /// <summary>KubeVirt's default synchronization-controller port (spec.synchronizationPort, kubevirt-facts §6).</summary>
    public const int SynchronizationPort = 9185;

    private readonly Dictionary<string, Template> parsed = new(StringComparer.Ordinal);
    private readonly List<Diagnostic> diagnostics = [];

    public RenderResult Render(ExecutionGraph graph, PlanScope scope)
    {
        var files = new List<RenderedFile>();
        var plan = scope.Plan;
        var steps = graph.Steps.Where(s => s.Kind is StepKind.Migrate or StepKind.ReplicateStorage).ToList();
        var clusters = steps.SelectMany(s => new[] { s.From!.Cluster, s.To!.Cluster }).Distinct().Order(StringComparer.Ordinal).ToList();
        var vmsById = scope.Vms.GroupBy(v => v.Id).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var livePeers = scope.LivePeers();
        foreach (var cluster in clusters)
        {
            var statics = new List<string>();
            foreach (var move in plan.Moves.Where(m => steps.Any(s => s.Move == m.Name && (s.From!.Cluster == cluster || s.To!.Cluster == cluster))).OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                var file = $"migrationpolicy-{KubernetesName.Of(move.Name)}.yaml";
                if (RenderFile("migrationpolicy.yaml.sbn", "policy", PolicyData(plan, move, scope.Cluster(cluster)!.KubeVirt)) is { } text)
                {
                    files.Add(new RenderedFile($"{cluster}/static/{file}", text));
                    statics.Add(file);
                }
            }

            if (livePeers.TryGetValue(cluster, out var peerNames))
            {
                foreach (var (file, policy) in MigrationPolicies.For(plan.Name, scope.Cluster(cluster)!, [.. peerNames.Select(scope.Cluster).OfType<Cluster>()]))
                {
                    if (RenderFile("networkpolicy.yaml.sbn", "policy", policy) is { } text)
                    {
                        files.Add(new RenderedFile($"{cluster}/static/{file}", text));
                        statics.Add(file);
                    }
                }
            }

            // Labels on the VMs that leave this cluster: server-side-apply patches of metadata only.
            var leaving = graph.Steps.Where(s => s.Kind == StepKind.Migrate && s.From!.Cluster == cluster && vmsById[s.Vm!].Cluster == cluster)
                .Select(s => s.Vm!).Distinct().Order(StringComparer.Ordinal).ToList();
            if (leaving.Count > 0)
            {
                var context = new PlanningLabels(scope);
                var texts = leaving.SelectMany(id =>
                {
                    var vm = vmsById[id];
                    var target = new ScriptObject { ["name"] = vm.Name, ["namespace"] = vm.Namespace, ["labels"] = Pairs(context.For(vm)) };
                    return new[] { RenderFile("vm-labels.yaml.sbn", "target", target), RenderFile("vmi-labels.yaml.sbn", "target", target) };
                }).ToList();
                if (texts.All(t => t is not null))
                {
                    files.Add(new RenderedFile($"{cluster}/static/labels.yaml", string.Join("---\n", texts)));
                    statics.Add("labels.yaml");
                }
            }

            if (RenderFile("prometheusrule.yaml.sbn", "alerts", AlertRules.ForCluster(graph, scope, cluster)) is { } rules)
            {
                files.Add(new RenderedFile($"{cluster}/static/prometheusrule-migrations.yaml", rules));
                statics.Add("prometheusrule-migrations.yaml");
            }

            var resources = new ScriptArray();
            foreach (var file in statics.Order(StringComparer.Ordinal))
            {
                resources.Add(file);
            }

            if (RenderFile("kustomization.yaml.sbn", "kustomization", new ScriptObject { ["resources"] = resources }, expectKind: false) is { } kustomization)
            {
                files.Add(new RenderedFile($"{cluster}/static/kustomization.yaml", kustomization));
            }
        }

        RenderSteps(graph, scope, files);
        RenderRun(graph, scope, files);
        return new RenderResult([.. files.OrderBy(f => f.Path, StringComparer.Ordinal)], [.. diagnostics]);
    }

    /// <summary>
    /// DIR/&lt;cluster&gt;/steps/&lt;step-id&gt;.yaml, applied by the reconciler when the step starts: a
    /// snapshot; an in-cluster VMIM; or, across clusters, the receiver VM and the receiving VMIM on the
    /// target and the sending VMIM on the source, sharing one migration id.
    /// </summary>
    private void RenderSteps(ExecutionGraph graph, PlanScope scope, List<RenderedFile> files)
    {
        var plan = scope.Plan;
        var vms = scope.Vms.GroupBy(v => v.Id).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var moves = plan.Moves.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var step in graph.Steps.Where(s => s.Kind is StepKind.Migrate or StepKind.Snapshot or StepKind.ReplicateStorage))
        {
            var vm = vms[step.Vm!];
            var move = moves[step.Move!];
            var name = KubernetesName.Of(plan.Name, step.Id);
            var labels = OwnedLabels(plan.Name, move.Name);
            labels[LabelPrefix + "step"] = KubernetesName.Of(step.Id);
            var from = step.From!.Cluster;
            var namespaceOn = (string cluster) => cluster == vm.Cluster ? vm.Namespace : move.TargetNamespace ?? vm.Namespace;
            if (step.Kind == StepKind.Snapshot)
            {
                var snapshot = new ScriptObject { ["name"] = name, ["namespace"] = namespaceOn(from), ["labels"] = Pairs(labels), ["vm"] = vm.Name };
                AddStepFile(files, from, step.Id, [("snapshot.yaml.sbn", "snapshot", snapshot)]);
                continue;
            }

            var to = step.To!.Cluster;
            if (step.Kind == StepKind.ReplicateStorage)
            {
                RenderReplication(scope, files, step, vm, move, labels, namespaceOn(from), namespaceOn(to));
                continue;
            }

            if (from == to)
            {
                AddStepFile(files, from, step.Id, [("vmim.yaml.sbn", "migration", Migration(name, namespaceOn(from), vm.Name, labels, "local", null, Placement.NodeSelector(scope, vm, move, live: true)))]);
            }
            else if (scope.LiveHops(move).Contains((from, to)))
            {
                var connect = scope.Cluster(to)?.KubeVirt.SynchronizationAddress ?? "";
                AddStepFile(files, to, step.Id,
                [
                    ("receiver-vm.yaml.sbn", "vm", ReceiverVm(scope, vm, move, from, to, namespaceOn(to))),
                    ("vmim.yaml.sbn", "migration", Migration(name, namespaceOn(to), vm.Name, labels, "receive", null, NoNodeSelector)),
                ]);
                AddStepFile(files, from, step.Id, [("vmim.yaml.sbn", "migration", Migration(name, namespaceOn(from), vm.Name, labels, "send", connect, NoNodeSelector))]);
            }
            else if (scope.ModeOf(move) == MoveMode.Staged)
            {
                // Staged cut-over (S28): stop the VM, demote its replicas (the last changes go across), promote
                // the target's, and start the VM on them. The reconciler gates each part on the one before.
                var halt = new ScriptObject { ["name"] = vm.Name, ["namespace"] = namespaceOn(from), ["run_strategy"] = "Halted" };
                AddStepFile(files, from, step.Id, [("vm-run-strategy.yaml.sbn", "target", halt), .. Replications(scope, vm, move, from, to, namespaceOn(from), labels, "secondary", patch: true)]);
                AddStepFile(files, to, step.Id, [.. Replications(scope, vm, move, from, to, namespaceOn(to), labels, "primary", patch: true),
                    ("receiver-vm.yaml.sbn", "vm", ReceiverVm(scope, vm, move, from, to, namespaceOn(to), replicas: true))]);
            }
            else
            {
                // Cold: stop the VM, export its disks, import them into a VM on the target that then starts.
                var export = Export(scope, from, name, namespaceOn(from), labels, "kubevirt.io", "VirtualMachine", vm.Name);
                var halt = new ScriptObject { ["name"] = vm.Name, ["namespace"] = namespaceOn(from), ["run_strategy"] = "Halted" };
                AddStepFile(files, from, step.Id, [("vm-run-strategy.yaml.sbn", "target", halt), ("vmexport.yaml.sbn", "export", export)]);
                var exportUrl = ExportVolumesUrl(scope, from, namespaceOn(from), name);
                AddStepFile(files, to, step.Id, [("receiver-vm.yaml.sbn", "vm", ReceiverVm(scope, vm, move, from, to, namespaceOn(to), (exportUrl, KubernetesName.Of(name, "token-header"), KubernetesName.Of(name, "export-ca"))))]);
            }
        }
    }

    /// <summary>
    /// The replicate step of a staged move (S28): a csi-addons VolumeReplication per disk, primary on the
    /// cut-over source (the storage starts mirroring the claim) and secondary on the target, where the
    /// storage presents the replica under the claim's name. docs/manifests.md says what this buys.
    /// </summary>
    private void RenderReplication(PlanScope scope, List<RenderedFile> files, GraphStep step, Vm vm, Move move, SortedDictionary<string, string> labels, string sourceNamespace, string targetNamespace)
    {
        var (from, to) = (step.From!.Cluster, step.To!.Cluster);
        AddStepFile(files, from, step.Id, Replications(scope, vm, move, from, to, sourceNamespace, labels, "primary", patch: false));
        AddStepFile(files, to, step.Id, Replications(scope, vm, move, from, to, targetNamespace, labels, "secondary", patch: false));
    }

    private static string ClaimOf(Vm vm, Volume volume) => volume.Claim ?? KubernetesName.Of(vm.Name, volume.Name);

    /// <summary>Namespace of the MigrationRun, beside the reconciler.</summary>
    public const string RunNamespace = "reconcile-system";

    /// <summary>DIR/run/: the MigrationRun CRD and this plan's run, applied where the reconciler runs.</summary>
    private void RenderRun(ExecutionGraph graph, PlanScope scope, List<RenderedFile> files)
    {
        var run = new ScriptObject
        {
            ["name"] = KubernetesName.Of(scope.Plan.Name),
            ["namespace"] = RunNamespace,
            ["labels"] = Pairs(OwnedLabels(scope.Plan.Name)),
            ["plan"] = scope.Plan.Name,
            ["revision"] = graph.Revision,
            ["digest"] = graph.Digest,
            ["suspend"] = scope.Plan.Suspend,
            ["steps"] = graph.Steps.Count,
        };
        var crd = RenderFile("migrationrun-crd.yaml.sbn", "run", run);
        var resource = RenderFile("migrationrun.yaml.sbn", "run", run);
        var alerts = RenderFile("prometheusrule.yaml.sbn", "alerts", AlertRules.ForReconciler(scope.Plan, RunNamespace));
        var resources = new ScriptArray { "migrationrun-crd.yaml", "migrationrun.yaml", "prometheusrule-reconciler.yaml" };
        var kustomization = RenderFile("kustomization.yaml.sbn", "kustomization", new ScriptObject { ["resources"] = resources }, expectKind: false);
        if (crd is not null && resource is not null && alerts is not null && kustomization is not null)
        {
            files.Add(new RenderedFile("run/migrationrun-crd.yaml", crd));
            files.Add(new RenderedFile("run/migrationrun.yaml", resource));
            files.Add(new RenderedFile("run/prometheusrule-reconciler.yaml", alerts));
            files.Add(new RenderedFile("run/kustomization.yaml", kustomization));
        }
    }

    private static readonly IReadOnlyDictionary<string, string> NoNodeSelector = new Dictionary<string, string>();

    private void AddStepFile(List<RenderedFile> files, string cluster, string stepId, IEnumerable<(string Template, string Variable, ScriptObject Data)> objects)
    {
        var texts = objects.Select(o => RenderFile(o.Template, o.Variable, o.Data)).ToList();
        if (texts.All(t => t is not null))
        {
            files.Add(new RenderedFile($"{cluster}/steps/{stepId}.yaml", string.Join("---\n", texts)));
        }
    }

    private static ScriptObject Migration(string name, string ns, string vmi, IEnumerable<KeyValuePair<string, string>> labels, string role, string? connectUrl, IReadOnlyDictionary<string, string> nodeSelector) => new()
    {
        ["name"] = name,
        ["namespace"] = ns,
        ["vmi_name"] = vmi,
        ["labels"] = Pairs(labels),
        ["role"] = role,
        ["migration_id"] = name,
        ["connect_url"] = connectUrl,
        ["node_selector"] = Pairs(nodeSelector.OrderBy(p => p.Key, StringComparer.Ordinal)),
    };

    /// <summary>The labels a moving VM gets: plan, move, and its priority class (S32).</summary>
    private sealed class PlanningLabels(PlanScope scope)
    {
        public SortedDictionary<string, string> For(Vm vm)
        {
            var move = scope.OwnerOf(vm)!;
            var labels = OwnedLabels(scope.Plan.Name, move.Name);
            labels.Remove("app.kubernetes.io/managed-by");
            if (scope.Plan.Priorities.FirstOrDefault(p => p.Select is null || p.Select.Matches(vm)) is { } priority)
            {
                labels[LabelPrefix + "priority"] = KubernetesName.Of(priority.Name);
            }

            return labels;
        }
    }

    /// <summary>The labels Reconcile puts on everything it owns, and on the VMIs its policies select.</summary>
    public static SortedDictionary<string, string> OwnedLabels(string plan, string? move = null)
    {
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["app.kubernetes.io/managed-by"] = "reconcile",
            [LabelPrefix + "plan"] = KubernetesName.Of(plan),
        };
        if (move is not null)
        {
            labels[LabelPrefix + "move"] = KubernetesName.Of(move);
        }

        return labels;
    }

    /// <param name="kubevirt">The release the policy is applied to: maxDowntimeMs only where it is accepted and used (RC3021).</param>
    private static ScriptObject PolicyData(MigrationPlan plan, Move move, KubeVirtInstall kubevirt)
    {
        var strategy = plan.Strategy;
        var selector = OwnedLabels(plan.Name, move.Name);
        selector.Remove("app.kubernetes.io/managed-by");
        return new ScriptObject
        {
            ["name"] = KubernetesName.Of(plan.Name, move.Name),
            ["labels"] = Pairs(OwnedLabels(plan.Name, move.Name)),
            ["selector"] = Pairs(selector),
            ["allow_auto_converge"] = strategy.AllowAutoConverge,
            ["allow_post_copy"] = strategy.AllowPostCopy,
            ["allow_workload_disruption"] = strategy.AllowWorkloadDisruption,
            // MigrationPolicy.bandwidthPerMigration is a Quantity of bytes per second.
            ["bandwidth_bytes_per_second"] = strategy.BandwidthPerMigrationBitsPerSecond is { } bits and > 0
                ? (bits / 8).ToString(CultureInfo.InvariantCulture) : null,
            ["completion_timeout_per_gib"] = (long)strategy.CompletionTimeoutPerGiB.TotalSeconds,
            ["max_downtime_ms"] = kubevirt.HonoursMaxDowntime ? Math.Max(1, (long)strategy.MaxDowntime.TotalMilliseconds) : null,
        };
    }

    internal static ScriptArray Pairs(IEnumerable<KeyValuePair<string, string>> map)
    {
        var array = new ScriptArray();
        foreach (var (key, value) in map)
        {
            array.Add(new ScriptObject { ["key"] = key, ["value"] = value });
        }

        return array;
    }

    /// <summary>Parses (once), renders and checks one template; null when it failed (and diagnostics say why).</summary>
    private string? RenderFile(string name, string variable, ScriptObject data, bool expectKind = true)
    {
        if (templates.Read(name) is not { } source)
        {
            diagnostics.Add(DiagnosticCatalog.TemplateRuntime.At(SourceLocation.StartOf("templates/" + name), $"template {name} does not exist"));
            return null;
        }

        if (!parsed.TryGetValue(name, out var template))
        {
            template = Template.Parse(source.Text, source.DisplayPath);
            parsed[name] = template;
        }

        if (template.HasErrors)
        {
            foreach (var message in template.Messages.Where(m => m.Type == Scriban.Parsing.ParserMessageType.Error))
            {
                diagnostics.Add(DiagnosticCatalog.TemplateSyntax.At(At(source.DisplayPath, message.Span), message.Message));
            }

            return null;
        }

        var context = new TemplateContext(Builtins())
        {
            StrictVariables = true,
            LoopLimit = 100_000,
            RecursiveLimit = 16,
            TemplateLoader = templates,
            EnableRelaxedMemberAccess = false,
        };
        context.PushGlobal(new ScriptObject { [variable] = data });
        string text;
        try
        {
            text = template.Render(context);
        }
        catch (ScriptRuntimeException e)
        {
            diagnostics.Add(DiagnosticCatalog.TemplateRuntime.At(At(source.DisplayPath, e.Span), e.OriginalMessage));
            return null;
        }

        text = text.TrimStart('\n').TrimEnd() + "\n";
        var documents = new List<PlanDocument>();
        var problems = new List<Diagnostic>();
        PlanLoader.LoadText(source.DisplayPath, text, documents, problems);
        if (problems.Count > 0 || documents.Count != 1 || documents[0].Root is not System.Text.Json.Nodes.JsonObject root ||
            expectKind && root["kind"] is null)
        {
            diagnostics.Add(DiagnosticCatalog.RenderedYamlInvalid.At(SourceLocation.StartOf(source.DisplayPath),
                $"template {name} rendered {(problems.Count > 0 ? "text that does not parse: " + problems[0].Message : "something other than one Kubernetes object")}"));
            return null;
        }

        return text;
    }

    /// <summary>Scriban's built-ins without `date` (a clock) and `include` beyond the confined loader.</summary>
    private static BuiltinFunctions Builtins()
    {
        var builtins = new BuiltinFunctions();
        builtins.Remove("date");
        return builtins;
    }

    private static SourceLocation At(string file, Scriban.Parsing.SourceSpan span) =>
        new(file, Math.Max(1, span.Start.Line + 1), Math.Max(1, span.Start.Column + 1));
}
