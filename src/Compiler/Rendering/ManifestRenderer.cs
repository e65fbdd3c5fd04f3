using System.Collections.Concurrent;
using System.Globalization;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Facts;
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
    /// <summary>Per step, its objects with their roles (paths relative to the plan's output tree).</summary>
    public IReadOnlyDictionary<string, Execution.StepManifest> Manifests { get; init; } = new Dictionary<string, Execution.StepManifest>();

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
    /// <summary>KubeVirt's default synchronization-controller port (spec.synchronizationPort, kubevirt-facts §6).</summary>
    public const int SynchronizationPort = 9185;

    /// <summary>Each template read once per compile, shared by the workers that render steps in parallel.</summary>
    private ConcurrentDictionary<string, Lazy<(string Text, string DisplayPath)?>> sources = new(StringComparer.Ordinal);

    /// <summary>Each template parsed once per renderer: a worker parses its own, so no parsed template is evaluated by two threads at once.</summary>
    private readonly Dictionary<string, Template> parsed = new(StringComparer.Ordinal);
    private readonly List<Diagnostic> diagnostics = [];

    /// <summary>The structure check of rendered objects, with the skeletons that passed, shared by the workers.</summary>
    private RenderedYamlCheck check = new();

    /// <summary>A renderer for one worker: its own diagnostics and parsed templates, the same template texts and check.</summary>
    private ManifestRenderer Worker() => new(templates) { sources = sources, check = check };

    /// <summary>Renders into memory: the result's <see cref="RenderResult.Files"/> hold every file.</summary>
    public RenderResult Render(ExecutionGraph graph, PlanScope scope)
    {
        var collected = new FileCollection();
        var result = Render(graph, scope, collected);
        return result with { Files = [.. collected.Files.Select(f => new RenderedFile(f.Key, f.Value))] };
    }

    /// <summary>Renders each file into <paramref name="files"/> as it is complete; the result's Files are empty.</summary>
    public RenderResult Render(ExecutionGraph graph, PlanScope scope, IFileSink files)
    {
        var plan = scope.Plan;
        var steps = graph.Steps.Where(s => s.Kind is StepKind.Migrate or StepKind.ReplicateStorage).ToList();
        var clusters = steps.SelectMany(s => new[] { s.From!.Cluster, s.To!.Cluster }).Distinct().Order(StringComparer.Ordinal).ToList();
        var vmsById = scope.Vms.GroupBy(v => v.Id).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var livePeers = scope.LivePeers();
        // Each cluster's steps, gathered in one walk: looking them up per cluster and move walked every step
        // clusters x moves times (24 s of a 100,000-VM compile).
        var touching = clusters.ToDictionary(c => c, _ => new List<GraphStep>(), StringComparer.Ordinal);
        foreach (var step in steps)
        {
            touching[step.From!.Cluster].Add(step);
            if (step.To!.Cluster != step.From.Cluster)
            {
                touching[step.To.Cluster].Add(step);
            }
        }

        foreach (var cluster in clusters)
        {
            var statics = new List<string>();
            var movesHere = touching[cluster].Select(s => s.Move).ToHashSet(StringComparer.Ordinal);
            foreach (var move in plan.Moves.Where(m => movesHere.Contains(m.Name)).OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                var file = $"migrationpolicy-{KubernetesName.Of(move.Name)}.yaml";
                if (RenderFile("migrationpolicy.yaml.sbn", "policy", PolicyData(plan, move, scope.Cluster(cluster)!.KubeVirt)) is { } text)
                {
                    files.Add($"{cluster}/static/{file}", text);
                    statics.Add(file);
                }
            }

            if (livePeers.TryGetValue(cluster, out var peerNames))
            {
                foreach (var (file, policy) in MigrationPolicies.For(plan.Name, scope.Cluster(cluster)!, [.. peerNames.Select(scope.Cluster).OfType<Cluster>()]))
                {
                    if (RenderFile("networkpolicy.yaml.sbn", "policy", policy) is { } text)
                    {
                        files.Add($"{cluster}/static/{file}", text);
                        statics.Add(file);
                    }
                }
            }

            // Labels on the VMs that leave this cluster: server-side-apply patches of metadata only.
            var leaving = touching[cluster].Where(s => s.Kind == StepKind.Migrate && s.From!.Cluster == cluster && vmsById[s.Vm!].Cluster == cluster)
                .Select(s => s.Vm!).Distinct().Order(StringComparer.Ordinal).ToList();
            if (leaving.Count > 0)
            {
                var context = new PlanningLabels(scope);
                var texts = InParallel(leaving, (worker, id) =>
                {
                    var vm = vmsById[id];
                    var target = new ScriptObject { ["name"] = vm.Name, ["namespace"] = vm.Namespace, ["labels"] = Pairs(context.For(vm)) };
                    return new[] { worker.RenderFile("vm-labels.yaml.sbn", "target", target), worker.RenderFile("vmi-labels.yaml.sbn", "target", target) };
                }).SelectMany(pair => pair).ToList();
                if (texts.All(t => t is not null))
                {
                    files.Add($"{cluster}/static/labels.yaml", string.Join("---\n", texts));
                    statics.Add("labels.yaml");
                }
            }

            if (RenderFile("prometheusrule.yaml.sbn", "alerts", AlertRules.ForCluster(graph, scope, cluster, touching[cluster])) is { } rules)
            {
                files.Add($"{cluster}/static/prometheusrule-migrations.yaml", rules);
                statics.Add("prometheusrule-migrations.yaml");
            }

            var resources = new ScriptArray();
            foreach (var file in statics.Order(StringComparer.Ordinal))
            {
                resources.Add(file);
            }

            if (RenderFile("kustomization.yaml.sbn", "kustomization", new ScriptObject { ["resources"] = resources }, expectKind: false) is { } kustomization)
            {
                files.Add($"{cluster}/static/kustomization.yaml", kustomization);
            }
        }

        var manifests = RenderSteps(graph, scope, files);
        RenderRun(graph, scope, files);
        return new RenderResult([], [.. diagnostics]) { Manifests = manifests };
    }

    /// <summary>Renders DIR/run/ alone, for a plan whose other files an earlier compilation rendered (<see cref="ReusablePlan"/>).</summary>
    public IReadOnlyList<Diagnostic> RenderRunOnly(ExecutionGraph graph, PlanScope scope, IFileSink files)
    {
        RenderRun(graph, scope, files);
        return [.. diagnostics];
    }

    /// <summary>DIR/run/: the MigrationRun CRD and this plan's run, applied where the reconciler runs.</summary>
    private void RenderRun(ExecutionGraph graph, PlanScope scope, IFileSink files)
    {
        var run = new ScriptObject
        {
            ["name"] = KubernetesName.Of(scope.Plan.Name),
            ["namespace"] = Conventions.RunNamespace,
            ["labels"] = Pairs(Conventions.OwnedLabels(scope.Plan.Name)),
            ["plan"] = scope.Plan.Name,
            ["revision"] = graph.Revision,
            ["digest"] = graph.Digest,
            ["suspend"] = scope.Plan.Suspend,
            ["steps"] = graph.Steps.Count,
            ["time_zone"] = scope.Plan.Windows.TimeZoneName,
            ["stages"] = PlannedStages(graph),
        };
        var crd = RenderFile("migrationrun-crd.yaml.sbn", "run", run);
        var resource = RenderFile("migrationrun.yaml.sbn", "run", run);
        var alerts = RenderFile("prometheusrule.yaml.sbn", "alerts", AlertRules.ForReconciler(scope.Plan, Conventions.RunNamespace));
        var resources = new ScriptArray { "migrationrun-crd.yaml", "migrationrun.yaml", "prometheusrule-reconciler.yaml" };
        var kustomization = RenderFile("kustomization.yaml.sbn", "kustomization", new ScriptObject { ["resources"] = resources }, expectKind: false);
        if (crd is not null && resource is not null && alerts is not null && kustomization is not null)
        {
            files.Add("run/migrationrun-crd.yaml", crd);
            files.Add("run/migrationrun.yaml", resource);
            files.Add("run/prometheusrule-reconciler.yaml", alerts);
            files.Add("run/kustomization.yaml", kustomization);
        }
    }

    /// <summary>Each stage's planned start and end (its steps' earliest start and latest end), in the graph's order.</summary>
    private static ScriptArray PlannedStages(ExecutionGraph graph)
    {
        var steps = graph.Steps.Where(s => s.Kind != StepKind.Gate).ToLookup(s => s.Stage);
        var stages = new ScriptArray();
        foreach (var stage in graph.Stages.Where(s => steps.Contains(s.Id)))
        {
            stages.Add(new ScriptObject
            {
                ["name"] = stage.Id,
                ["planned_start"] = Timestamp(steps[stage.Id].Min(s => s.PlannedStart)),
                ["planned_end"] = Timestamp(steps[stage.Id].Max(s => s.PlannedEnd)),
            });
        }

        return stages;
    }

    private static string Timestamp(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static readonly IReadOnlyDictionary<string, string> NoNodeSelector = new Dictionary<string, string>();

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
            var labels = Conventions.OwnedLabels(scope.Plan.Name, move.Name);
            labels.Remove(Conventions.ManagedByLabel);
            if (scope.Plan.Priorities.FirstOrDefault(p => p.Select is null || p.Select.Matches(vm)) is { } priority)
            {
                labels[Conventions.PriorityLabel] = KubernetesName.Of(priority.Name);
            }

            return labels;
        }
    }

    /// <param name="kubevirt">The release the policy is applied to: maxDowntimeMs only where it is accepted and used (RC3021).</param>
    private static ScriptObject PolicyData(MigrationPlan plan, Move move, KubeVirtInstall kubevirt)
    {
        var strategy = plan.Strategy;
        var selector = Conventions.OwnedLabels(plan.Name, move.Name);
        selector.Remove(Conventions.ManagedByLabel);
        return new ScriptObject
        {
            ["name"] = KubernetesName.Of(plan.Name, move.Name),
            ["labels"] = Pairs(Conventions.OwnedLabels(plan.Name, move.Name)),
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
        if (sources.GetOrAdd(name, key => new(() => templates.Read(key))).Value is not { } source)
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

        // One context per renderer, reused: building a TemplateContext costs more than rendering a small
        // object. Each render gets its own globals and output; a failed render drops the context.
        var context = this.context ??= NewContext();
        context.PushGlobal(new ScriptObject { [variable] = data });
        output.Builder.Length = 0; // what a failed render left behind
        context.PushOutput(output);
        string text;
        try
        {
            text = template.Render(context);
        }
        catch (ScriptRuntimeException e)
        {
            this.context = null;
            diagnostics.Add(DiagnosticCatalog.TemplateRuntime.At(At(source.DisplayPath, e.Span), e.OriginalMessage));
            return null;
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException e)
        {
            this.context = null;
            diagnostics.Add(DiagnosticCatalog.TemplateRuntime.At(SourceLocation.StartOf(source.DisplayPath),
                $"template {name}: the regular expression /{e.Pattern}/ took longer than {e.MatchTimeout.TotalMilliseconds} ms on a value of {e.Input.Length} characters"));
            return null;
        }

        if (this.context is not null)
        {
            context.PopOutput();
            context.PopGlobal();
        }

        text = text.TrimStart('\n').TrimEnd() + "\n";
        if (check.Check(text, expectKind) is { } problem)
        {
            diagnostics.Add(DiagnosticCatalog.RenderedYamlInvalid.At(SourceLocation.StartOf(source.DisplayPath), $"template {name} rendered {problem}"));
            return null;
        }

        return text;
    }

    private TemplateContext? context;

    // One output per renderer, reused: Template.Render empties it after each object, and emptying a
    // StringBuilder that grew into several chunks reallocates it (a fresh output per object cost a
    // fifth of a 1,000-VM compile); a single large chunk is emptied in place.
    private readonly StringBuilderOutput output = new(new System.Text.StringBuilder(64 * 1024));

    private TemplateContext NewContext() => new(Builtins())
    {
        StrictVariables = true,
        LoopLimit = 100_000,
        RecursiveLimit = 16,
        // A template's regex runs once per object; a catastrophic pattern must fail fast, not hang the compile.
        RegexTimeOut = TimeSpan.FromMilliseconds(250),
        TemplateLoader = templates,
        EnableRelaxedMemberAccess = false,
    };

    /// <summary>
    /// Scriban's built-ins without `date` (a clock) and `include` beyond the confined loader. Built once:
    /// each BuiltinFunctions deep-copies Scriban's defaults, and its members are read-only, so every
    /// render shares it.
    /// </summary>
    private static readonly BuiltinFunctions SharedBuiltins = CreateBuiltins();

    private static BuiltinFunctions Builtins() => SharedBuiltins;

    private static BuiltinFunctions CreateBuiltins()
    {
        var builtins = new BuiltinFunctions();
        builtins.Remove("date");
        builtins.IsReadOnly = true;
        return builtins;
    }

    private static SourceLocation At(string file, Scriban.Parsing.SourceSpan span) =>
        new(file, Math.Max(1, span.Start.Line + 1), Math.Max(1, span.Start.Column + 1));
}
