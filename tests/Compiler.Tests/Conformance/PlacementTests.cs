using System.Text.Json.Nodes;
using Reconcile.Compiler.Rendering;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler.Tests.Conformance;

/// <summary>Receivers land where the VM's CPU can run (issue 11 point 9), and the campaign fits its targets.</summary>
public sealed class PlacementTests
{
    /// <summary>fra-to-sgp with payments/app-0 as a host-passthrough VM, a node of another CPU in fra-2 and one of its own in sgp-1.</summary>
    private static RenderResult RenderMixed()
    {
        using var dir = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("plans", "examples", "fra-to-sgp")))
        {
            var text = File.ReadAllText(file);
            if (Path.GetFileName(file) == "inventory-fra-1.yaml")
            {
                var at = text.IndexOf("    - name: app-0", StringComparison.Ordinal);
                var cpu = text.IndexOf("cpu: {cores: 4}", at, StringComparison.Ordinal);
                text = text[..cpu] + "cpu: {cores: 4, model: host-passthrough}" + text[(cpu + "cpu: {cores: 4}".Length)..];
            }

            text = text.Replace("        - {name: fra-2-w1, cpuModel: Cascadelake-Server",
                "        - {name: fra-2-w0, cpuModel: Icelake-Server, memory: 768Gi, cpu: 96, hugepages: 128Gi}\n        - {name: fra-2-w1, cpuModel: Cascadelake-Server", StringComparison.Ordinal);
            text = text.Replace("        - {name: sgp-1-w1, cpuModel: Icelake-Server",
                "        - {name: sgp-1-w0, cpuModel: Cascadelake-Server, memory: 768Gi, cpu: 96, hugepages: 128Gi}\n        - {name: sgp-1-w1, cpuModel: Icelake-Server", StringComparison.Ordinal);
            File.WriteAllText(dir.File(Path.GetFileName(file)), text);
        }

        var (validation, result) = PlannerTests.PlanPath(dir.Path, PlannerTests.Now);
        Assert.False(validation.HasErrors, string.Join("\n", validation.Diagnostics));
        return new ManifestRenderer(new TemplateSet()).Render(result.Graph!, PlanScope.Create(validation.Model.Plans[0], validation.Model));
    }

    private static JsonObject Receiver(RenderResult rendered, string path) =>
        ManifestConformanceTests.ParseAll(rendered.Files.Single(f => f.Path == path)).Single(o => o["kind"]!.GetValue<string>() == "VirtualMachine");

    [Fact]
    public void A_live_host_passthrough_receiver_is_pinned_to_nodes_of_the_source_hosts_CPU()
    {
        var rendered = RenderMixed();
        // The live hop into the staging cluster fra-2 (mixed CPUs) is pinned to the source host's CPU.
        var selector = Receiver(rendered, "fra-2/steps/migrate-payments.app-0-via-fra-2.yaml")["spec"]!["template"]!["spec"]!["nodeSelector"]!.AsObject();
        Assert.Equal(["host-model-cpu.node.kubevirt.io/Cascadelake-Server"], selector.Select(p => p.Key));
        Assert.Equal("true", selector["host-model-cpu.node.kubevirt.io/Cascadelake-Server"]!.GetValue<string>());

        // The staged cut-over into sgp-1 boots the VM afresh on its replicas: any host CPU will do.
        Assert.Null(Receiver(rendered, "sgp-1/steps/migrate-payments.app-0.yaml")["spec"]!["template"]!["spec"]!["nodeSelector"]);

        // A host-model VM needs nothing: KubeVirt pins a host-model migration target itself.
        Assert.Null(Receiver(rendered, "fra-2/steps/migrate-payments.app-1-via-fra-2.yaml")["spec"]!["template"]!["spec"]!["nodeSelector"]);
    }
}
