using Reconcile.Compiler.Facts;
using System.Globalization;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Semantics;
using Scriban.Runtime;

namespace Reconcile.Compiler.Rendering;

/// <summary>
/// The PromQL of the plan's alerts (docs/manifests.md explains each): per cluster, on KubeVirt's own
/// metrics (kubevirt-facts §8); for the reconciler, on its /metrics, because KubeVirt's failed-migration
/// series vanish when the reconciler deletes a failed VMIM to retry it.
/// </summary>
internal static class AlertRules
{
    /// <summary>How far above its prediction a migration may go before it is worth a look (seed S22).</summary>
    private const double AbovePrediction = 1.5;

    /// <param name="steps">The graph's steps that leave or reach <paramref name="cluster"/> (migrations and storage replications), in graph order.</param>
    public static ScriptObject ForCluster(ExecutionGraph graph, PlanScope scope, string cluster, IReadOnlyList<GraphStep> steps)
    {
        var plan = scope.Plan;
        var strategy = plan.Strategy;
        var namespaces = steps.Where(s => s.Kind == StepKind.Migrate)
            .Select(s => s.Vm!.Split('/')[0]).Concat(plan.Moves.Select(m => m.TargetNamespace).OfType<string>())
            .Distinct().Order(StringComparer.Ordinal).ToList();
        var selector = $"namespace=~\"{string.Join("|", namespaces)}\"";
        var progress = Math.Max(1, (long)strategy.ProgressTimeout.TotalSeconds);
        var rules = new ScriptArray();
        if (DataAbovePrediction(steps, scope, cluster) is { } data)
        {
            rules.Add(Rule("ReconcileMigrationDataAbovePrediction", data, "1m", "warning",
                $"A migration has sent more than {AbovePrediction.ToString(CultureInfo.InvariantCulture)} times the bytes the plan predicted for it (memory rounds and disks; seed S22)",
                "Pre-copy is re-sending dirty pages faster than predicted, or the dirty rate in the Inventory is too low; consider auto-converge, more bandwidth, or a measured dirty rate."));
        }

        rules.Add(Rule("ReconcileMigrationNoProgress",
            $"max by (namespace, name) (kubevirt_vmi_migration_data_remaining_bytes{{{selector}}}) > 0 and max by (namespace, name) (delta(kubevirt_vmi_migration_data_remaining_bytes{{{selector}}}[{progress}s])) >= 0",
            $"{progress}s", "warning", "A migration has made no progress for progressTimeout",
            "KubeVirt will abort it when progressTimeout expires."));

        // Between each window's close and the next opening, no migration should still run.
        var windows = graph.Windows.Where(w => w.Clusters.Contains("*") || w.Clusters.Contains(cluster)).OrderBy(w => w.Start).ToList();
        if (windows.Count > 0)
        {
            var closed = windows.Select((w, i) =>
            {
                var close = new DateTimeOffset(w.End, TimeSpan.Zero).ToUnixTimeSeconds();
                var reopen = i + 1 < windows.Count ? new DateTimeOffset(windows[i + 1].Start, TimeSpan.Zero).ToUnixTimeSeconds() : close + 86_400;
                return $"(vector(time()) >= {close} and vector(time()) < {reopen})";
            });
            rules.Add(Rule("ReconcileMigrationOutsideWindow",
                $"sum(kubevirt_vmi_migrations_in_running_phase) > 0 and on () ({string.Join(" or ", closed)})",
                "5m", "warning", "Migrations are running after their maintenance window closed (S30)",
                "The reconciler cancels migrations predicted to overrun; one still running needs attention."));
        }

        return Group(plan, Conventions.KubeVirtNamespace, scope.Cluster(cluster)?.RuleLabels ?? Cluster.DefaultRuleLabels, KubernetesName.Of("reconcile", plan.Name), rules);
    }

    /// <summary>The reconciler's own alerts, in run/ beside the MigrationRun, on the series its /metrics serves.</summary>
    public static ScriptObject ForReconciler(MigrationPlan plan, string runNamespace)
    {
        var strategy = plan.Strategy;
        var selector = $"plan=\"{plan.Name}\"";
        var rules = new ScriptArray
        {
            Rule("ReconcileStepFailed", $"max(reconcile_steps{{{selector},phase=\"Failed\"}}) > 0", "1m", "warning",
                $"A step of plan {plan.Name} failed after its retries",
                $"strategy.onFailure is {strategy.OnFailure}; `reconcile status` names the step and the reason."),
            Rule("ReconcileFailuresAboveLimit", $"max(reconcile_steps{{{selector},phase=\"Failed\"}}) > {strategy.MaxFailures}", "1m", "critical",
                $"More than {strategy.MaxFailures} steps of plan {plan.Name} failed (strategy.maxFailures)",
                $"strategy.onFailure is {strategy.OnFailure}."),
            Rule("ReconcileCampaignStalled", $"max(reconcile_condition{{{selector},type=\"Stalled\"}}) == 1", "5m", "critical",
                $"Plan {plan.Name} is stalled",
                "Nothing new starts until the failure is dealt with (or a rollback finishes)."),
        };
        return Group(plan, runNamespace, Cluster.DefaultRuleLabels, KubernetesName.Of("reconcile", plan.Name, "reconciler"), rules);
    }

    private static ScriptObject Group(MigrationPlan plan, string ns, IReadOnlyDictionary<string, string> ruleLabels, string name, ScriptArray rules)
    {
        var labels = Conventions.OwnedLabels(plan.Name);
        foreach (var (key, value) in ruleLabels)
        {
            labels.TryAdd(key, value);
        }

        return new ScriptObject
        {
            ["name"] = name,
            ["namespace"] = ns,
            ["labels"] = ManifestRenderer.Pairs(labels),
            ["group"] = KubernetesName.Of(name, "migrations"),
            ["rules"] = rules,
        };
    }

    /// <summary>
    /// kubevirt_vmi_migration_data_processed_bytes (memory and disks sent, on the sending cluster) against
    /// 1.5 times each VM's predicted bytes for its live migrations from this cluster. VMs are grouped by
    /// namespace and threshold (rounded up to two significant digits) to keep the rule short.
    /// </summary>
    private static string? DataAbovePrediction(IReadOnlyList<GraphStep> steps, PlanScope scope, string cluster)
    {
        var moves = scope.Plan.Moves.ToDictionary(m => m.Name, StringComparer.Ordinal);
        var predicted = steps
            .Where(s => s.Kind == StepKind.Migrate && s.From!.Cluster == cluster && moves.TryGetValue(s.Move!, out var move) && scope.LiveHops(move).Contains((s.From.Cluster, s.To!.Cluster)))
            .GroupBy(s => s.Vm!, StringComparer.Ordinal)
            .Select(g => (Vm: g.Key, Threshold: RoundUp(AbovePrediction * g.Max(s => s.Predicted.Bytes))))
            .ToList();
        if (predicted.Count == 0)
        {
            return null;
        }

        var terms = predicted
            .GroupBy(p => (Namespace: p.Vm.Split('/')[0], p.Threshold))
            .OrderBy(g => g.Key.Namespace, StringComparer.Ordinal).ThenBy(g => g.Key.Threshold)
            .Select(g =>
            {
                var names = string.Join("|", g.Select(p => p.Vm.Split('/')[1].Replace(".", "\\\\.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
                return $"(max by (namespace, name) (kubevirt_vmi_migration_data_processed_bytes{{namespace=\"{g.Key.Namespace}\",name=~\"{names}\"}}) > {g.Key.Threshold.ToString("R", CultureInfo.InvariantCulture)})";
            });
        return string.Join(" or ", terms);
    }

    private static double RoundUp(double bytes)
    {
        if (bytes <= 0)
        {
            return 0;
        }

        var scale = Math.Pow(10, Math.Floor(Math.Log10(bytes)) - 1);
        return Math.Ceiling(bytes / scale) * scale;
    }

    private static ScriptObject Rule(string alert, string expr, string duration, string severity, string summary, string description) => new()
    {
        ["alert"] = alert,
        ["expr"] = expr,
        ["for"] = duration,
        ["severity"] = severity,
        ["summary"] = summary,
        ["description"] = description,
    };
}
