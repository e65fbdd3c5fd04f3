using System.Text.Json.Nodes;
using Reconcile.Compiler.Rendering;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler.Tests.Conformance;

/// <summary>
/// What is rendered for a cluster exists in the KubeVirt release the cluster declares: every object is
/// checked strictly against that release's own swagger (../shared/ref/kubevirt/versions/&lt;tag&gt;).
/// </summary>
public sealed class ReleaseConformanceTests
{
    private static readonly Dictionary<string, (UpstreamSchemas? Schemas, string? Missing)> Upstream =
        UpstreamSchemas.Releases.ToDictionary(r => r, r => UpstreamSchemas.Load(r), StringComparer.Ordinal);

    public static TheoryData<string> Releases() => [.. UpstreamSchemas.Releases];

    /// <summary>The seed scenario with every cluster declaring <paramref name="release"/> (and, optionally, more gates).</summary>
    private static RenderResult RenderSeedAt(string release, string extraGates = "")
    {
        using var dir = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("plans", "examples", "fra-to-sgp")))
        {
            var text = File.ReadAllText(file).Replace("version: v1.6.2, featureGates: [DecentralizedLiveMigration]", $"version: {release}, featureGates: [DecentralizedLiveMigration{extraGates}]", StringComparison.Ordinal);
            File.WriteAllText(dir.File(Path.GetFileName(file)), text);
        }

        var (validation, result) = PlannerTests.PlanPath(dir.Path, PlannerTests.Now);
        return new ManifestRenderer(new TemplateSet()).Render(result.Graph!, PlanScope.Create(validation.Model.Plans[0], validation.Model));
    }

    private static IEnumerable<(RenderedFile File, JsonObject Object)> KubernetesObjects(RenderResult rendered) =>
        rendered.Files.Where(f => !f.Path.EndsWith("kustomization.yaml", StringComparison.Ordinal) && !f.Path.StartsWith("run/", StringComparison.Ordinal))
            .SelectMany(f => ManifestConformanceTests.ParseAll(f).Select(o => (f, o)));

    private static void AssertConforms(UpstreamSchemas schemas, RenderedFile file, JsonObject manifest)
    {
        var apiVersion = manifest["apiVersion"]!.GetValue<string>();
        var kind = manifest["kind"]!.GetValue<string>();
        Assert.True(schemas.Knows(apiVersion, kind), $"{file.Path}: {apiVersion} {kind} is not served by this release");
        var patch = manifest["metadata"]?["annotations"]?["migration.reconcile.dev/apply"]?.GetValue<string>() == "patch";
        var problems = schemas.Check(manifest, patch);
        Assert.True(problems.Count == 0, $"{file.Path}:\n{string.Join("\n", problems)}");
    }

    [SkippableTheory]
    [MemberData(nameof(Releases))]
    public void The_seed_plan_renders_only_what_each_release_serves(string release)
    {
        var (schemas, missing) = Upstream[release];
        Skip.If(schemas is null, missing);
        foreach (var gates in new[] { "", ", MigrationStallDetection" })
        {
            var rendered = RenderSeedAt(release, gates);
            Assert.Empty(rendered.Diagnostics);
            var objects = KubernetesObjects(rendered).ToList();
            Assert.Contains(objects, o => o.Object["kind"]!.GetValue<string>() == "VirtualMachineExport");
            foreach (var (file, manifest) in objects)
            {
                AssertConforms(schemas!, file, manifest);
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(ExampleTests.Examples), MemberType = typeof(ExampleTests))]
    public void Examples_conform_to_the_release_each_cluster_declares(string example)
    {
        var (validation, result) = PlannerTests.PlanPath($"plans/examples/{example}", PlannerTests.Now);
        var scope = PlanScope.Create(validation.Model.Plans[0], validation.Model);
        var rendered = new ManifestRenderer(new TemplateSet()).Render(result.Graph!, scope);
        foreach (var (file, manifest) in KubernetesObjects(rendered))
        {
            var declared = scope.Cluster(file.Path.Split('/')[0])!.KubeVirt.Version!;
            var release = UpstreamSchemas.Releases.Single(r => new Version(r[1..]) is var v && v.Major == declared.Major && v.Minor == declared.Minor);
            var (schemas, missing) = Upstream[release];
            Skip.If(schemas is null, missing);
            AssertConforms(schemas!, file, manifest);
        }
    }

    [Fact]
    public void The_export_api_and_the_downtime_field_follow_the_release()
    {
        string ExportVersion(RenderResult r) => KubernetesObjects(r).First(o => o.Object["kind"]!.GetValue<string>() == "VirtualMachineExport").Object["apiVersion"]!.GetValue<string>();
        // The cold move's copy imports its disks through its dataVolumeTemplates.
        string ImportUrl(RenderResult r) => KubernetesObjects(r).Select(o => o.Object).Where(o => o["kind"]!.GetValue<string>() == "VirtualMachine")
            .SelectMany(o => o["spec"]?["dataVolumeTemplates"]?.AsArray() ?? []).Select(t => t?["spec"]?["source"]?["http"]?["url"]?.GetValue<string>()).OfType<string>().First();
        bool HasDowntime(RenderResult r) => KubernetesObjects(r).Where(o => o.Object["kind"]!.GetValue<string>() == "MigrationPolicy").All(o => o.Object["spec"]!["maxDowntimeMs"] is not null);

        var old = RenderSeedAt("v1.8.4", ", MigrationStallDetection");
        Assert.Equal("export.kubevirt.io/v1beta1", ExportVersion(old));
        Assert.Contains("/api/export.kubevirt.io/v1beta1/namespaces/", ImportUrl(old), StringComparison.Ordinal);
        Assert.False(HasDowntime(old));

        var current = RenderSeedAt("v1.9.0");
        Assert.Equal("export.kubevirt.io/v1", ExportVersion(current));
        Assert.Contains("/api/export.kubevirt.io/v1/namespaces/", ImportUrl(current), StringComparison.Ordinal);
        Assert.False(HasDowntime(current));
        Assert.True(HasDowntime(RenderSeedAt("v1.9.0", ", MigrationStallDetection")));
    }

    [SkippableFact]
    public void A_field_a_release_lacks_fails_the_check()
    {
        var (schemas, missing) = Upstream["v1.6.2"];
        Skip.If(schemas is null, missing);
        var (file, policy) = KubernetesObjects(RenderSeedAt("v1.9.0", ", MigrationStallDetection")).First(o => o.Object["kind"]!.GetValue<string>() == "MigrationPolicy");
        Assert.Contains(schemas!.Check(policy), p => p.Contains("spec.maxDowntimeMs: unknown field", StringComparison.Ordinal));
        var vmim = JsonNode.Parse("""{"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceMigration", "metadata": {"name": "m"}, "spec": {"vmiName": "x", "priority": "user-triggered"}}""")!.AsObject();
        Assert.Contains(schemas.Check(vmim), p => p.Contains("spec.priority: unknown field", StringComparison.Ordinal));
        Assert.False(schemas.Knows("export.kubevirt.io/v1", "VirtualMachineExport"), file.Path);
    }
}
