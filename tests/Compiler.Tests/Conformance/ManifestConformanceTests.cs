using System.Text.Json.Nodes;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Rendering;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler.Tests.Conformance;

/// <summary>Every object rendered from every example plan is what the real APIs accept.</summary>
public sealed class ManifestConformanceTests
{
    private static readonly (UpstreamSchemas? Schemas, string? Missing) Upstream = UpstreamSchemas.Load();

    internal static RenderResult Render(string example, TemplateSet? templates = null)
    {
        var (validation, result) = PlannerTests.PlanPath($"plans/examples/{example}", PlannerTests.Now);
        var plan = validation.Model.Plans[0];
        return new ManifestRenderer(templates ?? new TemplateSet()).Render(result.Graph!, PlanScope.Create(plan, validation.Model));
    }

    private static JsonObject Parse(RenderedFile file) => ParseAll(file).Single();

    internal static List<JsonObject> ParseAll(RenderedFile file)
    {
        var documents = new List<PlanDocument>();
        var diagnostics = new List<Diagnostic>();
        PlanLoader.LoadText(file.Path, file.Content, documents, diagnostics);
        Assert.Empty(diagnostics);
        return [.. documents.Select(d => (JsonObject)d.Root!)];
    }

    /// <remarks>KubeVirt's objects are checked against the release each cluster declares (ReleaseConformanceTests).</remarks>
    [SkippableTheory]
    [MemberData(nameof(ExampleTests.Examples), MemberType = typeof(ExampleTests))]
    public void The_run_conforms_to_the_rendered_crd(string example)
    {
        Skip.If(Upstream.Schemas is null, Upstream.Missing);
        var rendered = Render(example);
        Assert.Empty(rendered.Diagnostics);

        // The CRD itself has no upstream schema here (apiextensions is not in ../shared/ref); the run
        // object is checked against the CRD's own structural schema.
        Upstream.Schemas!.AddCrd(Parse(rendered.Files.Single(f => f.Path == "run/migrationrun-crd.yaml")));
        var run = Parse(rendered.Files.Single(f => f.Path == "run/migrationrun.yaml"));
        var problems = Upstream.Schemas.Check(run);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [SkippableFact]
    public void The_check_rejects_unknown_fields_wrong_types_and_missing_required_fields()
    {
        Skip.If(Upstream.Schemas is null, Upstream.Missing);
        var policy = Parse(Render("node-drain").Files.First(f => f.Path.Contains("migrationpolicy", StringComparison.Ordinal)));
        Assert.Empty(Upstream.Schemas!.Check(policy));

        var unknown = (JsonObject)policy.DeepClone();
        unknown["spec"]!["bandwithPerMigration"] = "1Gi";
        Assert.Contains(Upstream.Schemas.Check(unknown), p => p.Contains("spec.bandwithPerMigration: unknown field", StringComparison.Ordinal));

        var wrongType = (JsonObject)policy.DeepClone();
        wrongType["spec"]!["allowAutoConverge"] = "yes";
        Assert.Contains(Upstream.Schemas.Check(wrongType), p => p.StartsWith("spec.allowAutoConverge: expected boolean", StringComparison.Ordinal));

        var missing = (JsonObject)policy.DeepClone();
        missing["spec"]!.AsObject().Remove("selectors");
        Assert.Contains(Upstream.Schemas.Check(missing), p => p.Contains("missing required field selectors", StringComparison.Ordinal));

        var badMetadata = (JsonObject)policy.DeepClone();
        badMetadata["metadata"]!["nmae"] = "x";
        Assert.Contains(Upstream.Schemas.Check(badMetadata), p => p.Contains("metadata.nmae: unknown field", StringComparison.Ordinal));
    }

    [Fact]
    public void Rendering_is_byte_identical_and_matches_the_golden_folders()
    {
        foreach (var example in new[] { "fra-to-sgp", "node-drain", "onprem-to-cloud" })
        {
            var first = Render(example);
            var second = Render(example);
            Assert.Equal(first.Files, second.Files);
            foreach (var file in first.Files)
            {
                BaselineFiles.Check(Repository.PathOf("tests", "Compiler.Tests", "Manifests", example, Path.GetDirectoryName(file.Path)!), Path.GetFileName(file.Path), file.Content);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ExampleTests.Examples), MemberType = typeof(ExampleTests))]
    public void Every_import_from_an_export_proxy_sends_its_token_and_trusts_its_CA(string example)
    {
        var sources = Render(example).Files.SelectMany(ParseAll)
            .SelectMany(o => o["kind"]!.GetValue<string>() == "DataVolume"
                ? [o["spec"]!]
                : (o["spec"]?["dataVolumeTemplates"]?.AsArray() ?? []).Select(t => t!["spec"]!))
            .Select(spec => spec["source"]?["http"]).OfType<JsonObject>().ToList();
        Assert.All(sources, http =>
        {
            Assert.StartsWith("https://", http["url"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Single(http["secretExtraHeaders"]!.AsArray());
            Assert.NotEqual(http["secretExtraHeaders"]![0]!.GetValue<string>(), http["certConfigMap"]!.GetValue<string>());
            Assert.Null(http["insecureSkipVerify"]);
        });
    }

    [Fact]
    public void A_staged_move_replicates_its_disks_and_cuts_over_onto_the_replicas_in_order()
    {
        var files = Render("fra-to-sgp").Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        List<JsonObject> At(string path) => ParseAll(files[path]);
        string Kinds(List<JsonObject> objects) => string.Join(",", objects.Select(o => o["kind"]!.GetValue<string>()));

        // db-0 moves fra-1 -> fra-2 live, then fra-2 -> sgp-1 over RBD mirroring (ceph-rbd on fra-2 replicates into sgp-1).
        var (primary, secondary) = (At("fra-2/steps/replicate-payments.db-0.yaml"), At("sgp-1/steps/replicate-payments.db-0.yaml"));
        Assert.All(primary, r => Assert.Equal(("VolumeReplication", "primary", "rbd-mirror-5m"),
            (r["kind"]!.GetValue<string>(), r["spec"]!["replicationState"]!.GetValue<string>(), r["spec"]!["volumeReplicationClass"]!.GetValue<string>())));
        Assert.All(secondary, r => Assert.Equal("secondary", r["spec"]!["replicationState"]!.GetValue<string>()));
        Assert.Equal(primary.Select(r => r["spec"]!["dataSource"]!["name"]!.GetValue<string>()), secondary.Select(r => r["metadata"]!["name"]!.GetValue<string>()));

        // The cut-over: stop and demote on the source; promote and start on the target, on the replicas' claims.
        var source = At("fra-2/steps/migrate-payments.db-0.yaml");
        var target = At("sgp-1/steps/migrate-payments.db-0.yaml");
        Assert.StartsWith("VirtualMachine,VolumeReplication", Kinds(source), StringComparison.Ordinal);
        Assert.Equal("Halted", source[0]["spec"]!["runStrategy"]!.GetValue<string>());
        Assert.All(source.Skip(1), r => Assert.Equal("secondary", r["spec"]!["replicationState"]!.GetValue<string>()));
        Assert.EndsWith("VolumeReplication,VirtualMachine", Kinds(target), StringComparison.Ordinal);
        Assert.All(target.SkipLast(1), r => Assert.Equal("primary", r["spec"]!["replicationState"]!.GetValue<string>()));
        var vm = target[^1];
        Assert.Equal("Always", vm["spec"]!["runStrategy"]!.GetValue<string>());
        Assert.Null(vm["spec"]!["dataVolumeTemplates"]);
        Assert.Equal(primary.Select(r => r["spec"]!["dataSource"]!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal),
            vm["spec"]!["template"]!["spec"]!["volumes"]!.AsArray().Select(v => v!["persistentVolumeClaim"]!["claimName"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(files.Values.SelectMany(ParseAll), o => o["kind"]!.GetValue<string>() == "DataVolume");
    }

    [Fact]
    public void Object_names_stay_within_kubernetes_rules_and_distinct()
    {
        Assert.Equal("plan-move", KubernetesName.Of("plan", "move"));
        var a = KubernetesName.Of(new string('a', 60), "move-one");
        var b = KubernetesName.Of(new string('a', 60), "move-two");
        Assert.True(a.Length <= 63 && b.Length <= 63);
        Assert.NotEqual(a, b);
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", KubernetesName.Of("migrate-payments.db-0"));
        Assert.NotEqual(KubernetesName.Of("a.b"), KubernetesName.Of("a-b"));
    }

    [Fact]
    public void A_template_syntax_error_is_a_diagnostic_at_the_template_line()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("migrationpolicy.yaml.sbn"), "apiVersion: v1\nkind: X\nmetadata:\n  name: {{ if }}\n");
        var d = Render("node-drain", new TemplateSet(dir.Path, dir.Path)).Diagnostics.First();
        Assert.Equal(("RC6001", "migrationpolicy.yaml.sbn"), (d.Code, d.Location.File));
        Assert.True(d.Location.Line >= 4);
    }

    [Fact]
    public void Templates_cannot_use_unknown_variables_the_clock_or_files_outside_the_templates()
    {
        using var dir = new TempDirectory();
        foreach (var (body, line) in new[] { ("kind: X\nname: {{ policy.nmae }}\n", 2), ("kind: X\nat: {{ date.now }}\n", 2), ("kind: X\n{{ include '../../etc/passwd' }}\n", 2) })
        {
            File.WriteAllText(dir.File("migrationpolicy.yaml.sbn"), body);
            var d = Render("node-drain", new TemplateSet(dir.Path, dir.Path)).Diagnostics.First();
            Assert.Equal(("RC6002", "migrationpolicy.yaml.sbn", line), (d.Code, d.Location.File, d.Location.Line));
        }
    }

    [Fact]
    public void A_template_that_renders_no_object_is_a_diagnostic()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("networkpolicy.yaml.sbn"), "- just\n- a list\n");
        var d = Render("fra-to-sgp", new TemplateSet(dir.Path, dir.Path)).Diagnostics.First();
        Assert.Equal("RC6003", d.Code);
    }
}
