using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Reconcile.Compiler.Tests;

/// <summary>
/// charts/reconcile, with the real helm v4 (.ci/install-tools): it lints, its defaults render exactly the
/// objects of deploy/ (besides Helm's own release labels and the config checksum that restarts the pods on
/// a change), its CRD is deploy/'s, its values do what they say, and its alerts parse (promtool) and ask
/// only for series the reconciler serves.
/// </summary>
public sealed class HelmChartTests
{
    private static readonly string Chart = Repository.PathOf("charts", "reconcile");

    private static string Helm() => ExternalTools.Require(ExternalTools.Helm(), "helm not installed: run .ci/install-tools helm (CI does)");

    private static List<JsonObject> Objects(string text, string path) => DeployTests.Objects(text, path);

    private static List<JsonObject> Template(params string[] values)
    {
        var (exit, output, error) = ExternalTools.Run(Helm(), ["template", "reconcile", Chart, "--namespace", "reconcile-system", "--include-crds", .. values.SelectMany(v => new[] { "--set", v })]);
        Assert.True(exit == 0, error);
        return Objects(output, "helm template");
    }

    private static string Key(JsonObject o) => $"{o["kind"]}/{o["metadata"]!["namespace"]}/{o["metadata"]!["name"]}";

    [SkippableFact]
    public void The_chart_lints_strictly_with_its_defaults_and_with_every_option_on()
    {
        foreach (var values in new[] { Array.Empty<string>(), ["metrics.serviceMonitor.enabled=true", "metrics.prometheusRule.enabled=true", "metrics.grafanaDashboard.enabled=true", "verification.verify=true", "leaderElection=false"] })
        {
            var (exit, output, error) = ExternalTools.Run(Helm(), ["lint", "--strict", Chart, .. values.SelectMany(v => new[] { "--set", v })]);
            Assert.True(exit == 0, output + error);
        }
    }

    [SkippableFact]
    public void Its_defaults_render_the_objects_of_deploy()
    {
        var chart = Template();
        foreach (var o in chart)
        {
            // What Helm adds to each object, and the checksum that restarts the pods when the config changes.
            if (o["metadata"]!["labels"] is JsonObject labels)
            {
                foreach (var helmLabel in new[] { "app.kubernetes.io/instance", "app.kubernetes.io/version", "helm.sh/chart" })
                {
                    labels.Remove(helmLabel);
                }

                if (labels["app.kubernetes.io/managed-by"]?.GetValue<string>() == "Helm")
                {
                    labels.Remove("app.kubernetes.io/managed-by");
                }
            }

            (o["spec"]?["template"]?["metadata"]?["annotations"] as JsonObject)?.Remove("checksum/config");
        }

        var kustomization = Objects(File.ReadAllText(Repository.PathOf("deploy", "kustomization.yaml")), "kustomization.yaml").Single();
        var deployed = kustomization["resources"]!.AsArray().Select(r => r!.GetValue<string>())
            .SelectMany(f => Objects(File.ReadAllText(Repository.PathOf("deploy", f)), f))
            .Where(o => o["kind"]!.GetValue<string>() != "Namespace") // helm install --create-namespace
            .ToList();
        Assert.Equal(string.Join("\n", deployed.Select(Key).Order(StringComparer.Ordinal)), string.Join("\n", chart.Select(Key).Order(StringComparer.Ordinal)));
        foreach (var expected in deployed)
        {
            var actual = chart.Single(o => Key(o) == Key(expected));
            Assert.True(JsonNode.DeepEquals(expected, actual), $"{Key(expected)} differs:\n deploy: {expected.ToJsonString()}\n chart:  {actual.ToJsonString()}");
        }

        Assert.Equal(File.ReadAllText(Repository.PathOf("deploy", "crd.yaml")), File.ReadAllText(Path.Combine(Chart, "crds", "migrationrun-crd.yaml")));
    }

    [SkippableFact]
    public void Its_values_set_the_repository_verification_replicas_and_monitoring()
    {
        var chart = Template("repository.url=https://git.example.org/plans.git", "repository.interval=5m", "verification.verify=true",
            "verification.allowedSigners=ops@example.org namespaces=\"git\" ssh-ed25519 AAAA", "leaderElection=false", "image.tag=0.2.0",
            "metrics.serviceMonitor.enabled=true", "metrics.prometheusRule.enabled=true", "metrics.grafanaDashboard.enabled=true", "resources.limits.memory=2Gi",
            "notifications.sinks[0].name=ops", "notifications.sinks[0].url=https://hooks.example.org/x", "notifications.sinks[0].format=slack", "notifications.sinks[0].events={StepFailed,RollbackStarted}");
        var config = chart.Single(o => Key(o) == "ConfigMap/reconcile-system/reconcile-config")["data"]!;
        Assert.Equal("https://git.example.org/plans.git", config["repo"]!.GetValue<string>());
        Assert.Equal("5m", config["interval"]!.GetValue<string>());
        Assert.Equal("ops@example.org namespaces=\"git\" ssh-ed25519 AAAA", config["allowed_signers"]!.GetValue<string>());
        var deployment = chart.Single(o => Key(o) == "Deployment/reconcile-system/reconcile");
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var args = container["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.Contains("--verify", args);
        Assert.Contains("--notifications=/etc/reconcile/config/notifications.yaml", args);
        var (sinks, problem) = Reconciler.Notifications.NotificationConfig.Parse(config["notifications.yaml"]!.GetValue<string>());
        Assert.Null(problem);
        var sink = Assert.Single(sinks);
        Assert.Equal(("ops", "https://hooks.example.org/x", Reconciler.Notifications.NotificationFormat.Slack), (sink.Name, sink.Url.ToString(), sink.Format));
        Assert.True(sink.Wants("RollbackStarted") && !sink.Wants("StepStarted"));
        Assert.Contains("--allowed-signers=/etc/reconcile/config/allowed_signers", args);
        Assert.DoesNotContain("--leader-elect", args);
        Assert.Equal(1, deployment["spec"]!["replicas"]!.GetValue<long>());
        Assert.Equal("ghcr.io/reconcile-dev/reconcile:0.2.0", container["image"]!.GetValue<string>());
        Assert.Equal("2Gi", container["resources"]!["limits"]!["memory"]!.GetValue<string>());
        Assert.Equal("metrics", chart.Single(o => o["kind"]!.GetValue<string>() == "ServiceMonitor")["spec"]!["endpoints"]![0]!["port"]!.GetValue<string>());
        // A changed config changes the checksum, so the pods restart on it.
        Assert.NotEqual(Template().Single(o => Key(o) == Key(deployment))["spec"]!["template"]!["metadata"]!["annotations"]!["checksum/config"]!.GetValue<string>(),
            deployment["spec"]!["template"]!["metadata"]!["annotations"]!["checksum/config"]!.GetValue<string>());

        // Grafana's sidecar finds the dashboard by its label; it is deploy/'s, byte for byte.
        var dashboard = chart.Single(o => Key(o) == "ConfigMap/reconcile-system/reconcile-grafana-dashboard");
        Assert.Equal("1", dashboard["metadata"]!["labels"]!["grafana_dashboard"]!.GetValue<string>());
        Assert.Equal(File.ReadAllText(Repository.PathOf("deploy", "grafana-dashboard.json")), dashboard["data"]!["reconcile-campaigns.json"]!.GetValue<string>());

        // The alerts ask only for series the reconciler's /metrics serves, and Prometheus' promtool accepts them.
        var rule = chart.Single(o => o["kind"]!.GetValue<string>() == "PrometheusRule");
        var served = Operations.ServedMetrics.Names();
        var expressions = rule["spec"]!["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!["expr"]!.GetValue<string>()).ToList();
        Assert.NotEmpty(expressions);
        Assert.All(expressions, e => Assert.All(Operations.ServedMetrics.NamesIn(e), name => Assert.Contains(name, served)));
        Assert.Contains(expressions, e => Operations.ServedMetrics.NamesIn(e).Contains("reconcile_migrations_failed_total"));
        using var directory = new TempDirectory();
        File.WriteAllText(directory.File("rules.json"), rule["spec"]!.ToJsonString());
        var promtool = ExternalTools.Require(ExternalTools.Promtool(), "promtool not installed: run .ci/install-tools promtool (CI does)");
        var (exit, output, error) = ExternalTools.Run(promtool, ["check", "rules", directory.File("rules.json")]);
        Assert.True(exit == 0, output + error);
    }

}
