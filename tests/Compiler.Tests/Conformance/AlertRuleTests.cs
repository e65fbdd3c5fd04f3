using System.Text.Json.Nodes;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Rendering;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler.Tests.Conformance;

/// <summary>
/// The rendered alerts, checked and unit-tested by Prometheus' own promtool: they parse, the data alert
/// fires above 1.5 times what the plan predicted for that VM and not at the prediction, and the failure
/// alerts come from the reconciler's metrics, which outlive the VMIMs a retry deletes.
/// </summary>
public sealed class AlertRuleTests
{
    private static IEnumerable<(string Path, JsonObject Rule)> PrometheusRules(RenderResult rendered) =>
        rendered.Files.Where(f => f.Path.Contains("prometheusrule", StringComparison.Ordinal))
            .Select(f => (f.Path, ManifestConformanceTests.ParseAll(f).Single()));

    /// <summary>The rule file Prometheus reads: the PrometheusRule's spec (JSON is YAML).</summary>
    private static string RuleFile(TempDirectory dir, string name, JsonObject rule)
    {
        var path = dir.File(name);
        File.WriteAllText(path, rule["spec"]!.ToJsonString());
        return path;
    }

    private static JsonObject Alert(JsonObject rule, string name) =>
        rule["spec"]!["groups"]![0]!["rules"]!.AsArray().Select(r => r!.AsObject()).Single(r => r["alert"]!.GetValue<string>() == name);

    private static void PromtoolTest(TempDirectory dir, string rules, JsonObject test)
    {
        var promtool = ExternalTools.Require(ExternalTools.Promtool(), "promtool not installed: apt-get install prometheus (CI does)");
        var file = dir.File("test.yaml");
        File.WriteAllText(file, new JsonObject { ["rule_files"] = new JsonArray(rules), ["evaluation_interval"] = "1m", ["tests"] = new JsonArray(test) }.ToJsonString());
        var (exit, output, error) = ExternalTools.Run(promtool, ["test", "rules", file]);
        Assert.True(exit == 0, output + error);
    }

    private static JsonObject Expected(JsonObject alert, JsonObject labels)
    {
        labels["severity"] = alert["labels"]!["severity"]!.DeepClone();
        return new JsonObject { ["exp_labels"] = labels, ["exp_annotations"] = alert["annotations"]!.DeepClone() };
    }

    [SkippableTheory]
    [MemberData(nameof(ExampleTests.Examples), MemberType = typeof(ExampleTests))]
    public void Every_rendered_rule_file_passes_promtool_check(string example)
    {
        var promtool = ExternalTools.Require(ExternalTools.Promtool(), "promtool not installed: apt-get install prometheus (CI does)");
        using var dir = new TempDirectory();
        var rules = PrometheusRules(ManifestConformanceTests.Render(example)).ToList();
        Assert.Contains(rules, r => r.Path == "run/prometheusrule-reconciler.yaml");
        foreach (var (path, rule) in rules)
        {
            Assert.Equal("alert-rules", rule["metadata"]!["labels"]!["role"]!.GetValue<string>());
            var (exit, output, error) = ExternalTools.Run(promtool, ["check", "rules", RuleFile(dir, path.Replace('/', '_'), rule)]);
            Assert.True(exit == 0, $"{path}: {output}{error}");
        }
    }

    [SkippableFact]
    public void The_data_alert_fires_above_one_and_a_half_times_the_prediction_and_not_at_it()
    {
        var (validation, result) = PlannerTests.PlanPath("plans/examples/fra-to-sgp", PlannerTests.Now);
        var plan = validation.Model.Plans[0];
        var rendered = new ManifestRenderer(new TemplateSet()).Render(result.Graph!, PlanScope.Create(plan, validation.Model));
        var rule = PrometheusRules(rendered).Single(r => r.Path == "fra-1/static/prometheusrule-migrations.yaml").Rule;
        var predicted = result.Graph!.Steps.Where(s => s.Kind == StepKind.Migrate && s.Vm == "payments/app-0" && s.From!.Cluster == "fra-1").Max(s => s.Predicted.Bytes);
        using var dir = new TempDirectory();
        var rules = RuleFile(dir, "rules.yaml", rule);
        var alert = Alert(rule, "ReconcileMigrationDataAbovePrediction");
        var labels = new JsonObject { ["namespace"] = "payments", ["name"] = "app-0" };
        JsonObject Test(double factor, bool fires) => new()
        {
            ["interval"] = "1m",
            ["input_series"] = new JsonArray(new JsonObject
            {
                ["series"] = "kubevirt_vmi_migration_data_processed_bytes{namespace=\"payments\",name=\"app-0\"}",
                ["values"] = string.Join(' ', Enumerable.Repeat(((long)(predicted * factor)).ToString(System.Globalization.CultureInfo.InvariantCulture), 5)),
            }),
            ["alert_rule_test"] = new JsonArray(new JsonObject
            {
                ["eval_time"] = "3m",
                ["alertname"] = "ReconcileMigrationDataAbovePrediction",
                ["exp_alerts"] = fires ? new JsonArray(Expected(alert, labels.DeepClone().AsObject())) : new JsonArray(),
            }),
        };
        PromtoolTest(dir, rules, Test(1.0, fires: false));
        PromtoolTest(dir, rules, Test(1.4, fires: false));
        PromtoolTest(dir, rules, Test(1.6, fires: true));
    }

    [SkippableFact]
    public void Failure_alerts_come_from_the_reconcilers_metrics()
    {
        var rendered = ManifestConformanceTests.Render("fra-to-sgp");
        var rule = PrometheusRules(rendered).Single(r => r.Path == "run/prometheusrule-reconciler.yaml").Rule;
        Assert.Equal("reconcile-system", rule["metadata"]!["namespace"]!.GetValue<string>());
        using var dir = new TempDirectory();
        var rules = RuleFile(dir, "rules.yaml", rule);
        var plan = "fra-to-sgp-payments";
        PromtoolTest(dir, rules, new JsonObject
        {
            ["interval"] = "1m",
            ["input_series"] = new JsonArray(
                new JsonObject { ["series"] = $"reconcile_steps{{plan=\"{plan}\",phase=\"Failed\"}}", ["values"] = "0 1 1 1 1 1 1 1 1 1" },
                new JsonObject { ["series"] = $"reconcile_condition{{plan=\"{plan}\",type=\"Stalled\"}}", ["values"] = "0 1 1 1 1 1 1 1 1 1" }),
            ["alert_rule_test"] = new JsonArray(
                new JsonObject { ["eval_time"] = "3m", ["alertname"] = "ReconcileStepFailed", ["exp_alerts"] = new JsonArray(Expected(Alert(rule, "ReconcileStepFailed"), [])) },
                new JsonObject { ["eval_time"] = "9m", ["alertname"] = "ReconcileCampaignStalled", ["exp_alerts"] = new JsonArray(Expected(Alert(rule, "ReconcileCampaignStalled"), [])) }),
        });
    }

    [Fact]
    public void A_cluster_names_the_labels_its_Prometheus_selects_rules_by()
    {
        using var dir = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("plans", "examples", "fra-to-sgp")))
        {
            var text = File.ReadAllText(file).Replace("      kubelet: {cpuManagerPolicy: static}      # S12",
                "      kubelet: {cpuManagerPolicy: static}      # S12\n      monitoring: {ruleLabels: {release: monitoring}}", StringComparison.Ordinal);
            File.WriteAllText(dir.File(Path.GetFileName(file)), text);
        }

        var (validation, result) = PlannerTests.PlanPath(dir.Path, PlannerTests.Now);
        Assert.False(validation.HasErrors, string.Join("\n", validation.Diagnostics));
        var rendered = new ManifestRenderer(new TemplateSet()).Render(result.Graph!, PlanScope.Create(validation.Model.Plans[0], validation.Model));
        var labels = (string path) => PrometheusRules(rendered).Single(r => r.Path == path).Rule["metadata"]!["labels"]!.AsObject().Select(l => l.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["app.kubernetes.io/managed-by", "migration.reconcile.dev/plan", "release"], labels("fra-1/static/prometheusrule-migrations.yaml"));
        Assert.Equal(["app.kubernetes.io/managed-by", "migration.reconcile.dev/plan", "prometheus", "release", "role"], labels("fra-2/static/prometheusrule-migrations.yaml"));
    }
}
