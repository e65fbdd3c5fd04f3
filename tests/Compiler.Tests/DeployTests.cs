using System.Text.Json.Nodes;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Tests.Conformance;

namespace Reconcile.Compiler.Tests;

/// <summary>deploy/: the CRD is the one compile renders, kubectl kustomize renders the folder, and the RBAC covers every object Reconcile creates.</summary>
public sealed class DeployTests
{
    /// <summary>The YAML documents of a manifest file as JSON objects (it must parse cleanly).</summary>
    internal static List<JsonObject> Objects(string text, string path)
    {
        var documents = new List<PlanDocument>();
        var diagnostics = new List<Diagnostic>();
        PlanLoader.LoadText(path, text, documents, diagnostics);
        Assert.Empty(diagnostics);
        return [.. documents.Select(d => d.Root).OfType<JsonObject>()];
    }

    [Fact]
    public void The_deployed_CRD_is_the_one_compile_renders()
    {
        var rendered = ManifestConformanceTests.Render("node-drain").Files.Single(f => f.Path == "run/migrationrun-crd.yaml").Content;
        Assert.Equal(rendered, File.ReadAllText(Repository.PathOf("deploy", "crd.yaml")));
    }

    [Fact]
    public void The_ClusterRole_allows_every_object_the_reconciler_applies_and_nothing_cluster_wide_it_does_not_need()
    {
        var rules = Objects(File.ReadAllText(Repository.PathOf("deploy", "rbac.yaml")), "rbac.yaml").Single(o => o["kind"]!.GetValue<string>() == "ClusterRole")["rules"]!.AsArray();
        bool Allows(string group, string plural, string verb) => rules.Any(r =>
            r!["apiGroups"]!.AsArray().Any(g => g!.GetValue<string>() == group) &&
            r["resources"]!.AsArray().Any(p => p!.GetValue<string>() == plural) &&
            r["verbs"]!.AsArray().Any(v => v!.GetValue<string>() == verb));

        foreach (var example in new[] { "fra-to-sgp", "node-drain", "onprem-to-cloud" })
        {
            foreach (var file in ManifestConformanceTests.Render(example).Files.Where(f => !f.Path.EndsWith("kustomization.yaml", StringComparison.Ordinal)))
            {
                foreach (var obj in Objects(file.Content, file.Path))
                {
                    var apiVersion = obj["apiVersion"]!.GetValue<string>();
                    var group = apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "";
                    var kind = obj["kind"]!.GetValue<string>().ToLowerInvariant();
                    // multi-networkpolicy's resource name is not the kind's plain plural (its clientset: Resource("multi-networkpolicies")).
                    var plural = kind == "multinetworkpolicy" ? "multi-networkpolicies" : kind.EndsWith('y') ? kind[..^1] + "ies" : kind + "s";
                    Assert.True(Allows(group, plural, "patch"), $"{file.Path}: the ClusterRole does not allow patching {plural}.{group}");
                }
            }
        }

        // Nothing it never touches: no wildcards, and Secrets only by name (no list or watch).
        Assert.DoesNotContain(rules, r => r!["resources"]!.AsArray().Any(p => p!.GetValue<string>() == "*"));
        Assert.DoesNotContain(rules, r => r!["resources"]!.AsArray().Any(p => p!.GetValue<string>() == "secrets") &&
                                          r["verbs"]!.AsArray().Any(v => v!.GetValue<string>() is "list" or "watch"));
        Assert.DoesNotContain(rules, r => r!["verbs"]!.AsArray().Any(v => v!.GetValue<string>() == "*"));
    }

    [Fact]
    public void The_discovery_ClusterRole_grants_get_and_list_on_exactly_what_discover_reads()
    {
        var objects = Objects(File.ReadAllText(Repository.PathOf("deploy", "discovery-rbac.yaml")), "discovery-rbac.yaml");
        var rules = objects.Single(o => o["kind"]!.GetValue<string>() == "ClusterRole")["rules"]!.AsArray().OfType<JsonObject>().ToList();
        Assert.All(rules, r => Assert.Equal(["get", "list"], r["verbs"]!.AsArray().Select(v => v!.GetValue<string>())));
        var granted = rules.SelectMany(r => r["apiGroups"]!.AsArray().SelectMany(g => r["resources"]!.AsArray().Select(p => (Group: g!.GetValue<string>(), Plural: p!.GetValue<string>())))).ToHashSet();
        var read = Reconciler.Discovery.ClusterReader.Resources.Select(r => (r.Group, r.Plural)).ToHashSet();
        Assert.Equal(read.Order(), granted.Order());
        var binding = objects.Single(o => o["kind"]!.GetValue<string>() == "ClusterRoleBinding");
        Assert.Equal("reconcile-discover", binding["roleRef"]!["name"]!.GetValue<string>());
    }

    [SkippableFact]
    public void Kubectl_kustomize_renders_the_deploy_folder()
    {
        var kubectl = ExternalTools.Require(ExternalTools.Kubectl(), "kubectl not installed: run .ci/install-tools (CI does)");
        var (exit, output, error) = ExternalTools.Run(kubectl, ["kustomize", Repository.PathOf("deploy")]);
        Assert.True(exit == 0, error);
        var kinds = Objects(output, "deploy").Select(o => o["kind"]!.GetValue<string>()).ToList();
        Assert.Equal(["ClusterRole", "ClusterRoleBinding", "ConfigMap", "CustomResourceDefinition", "Deployment", "Namespace", "Role", "Role", "RoleBinding", "RoleBinding", "Service", "ServiceAccount"], kinds.Order(StringComparer.Ordinal));
        var container = Objects(output, "deploy").Single(o => o["kind"]!.GetValue<string>() == "Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Contains("--leader-elect", container["args"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(("/healthz", "/readyz"), (container["livenessProbe"]!["httpGet"]!["path"]!.GetValue<string>(), container["readinessProbe"]!["httpGet"]!["path"]!.GetValue<string>()));
    }
}
