using System.Diagnostics;
using Reconcile.Cli;

namespace Reconcile.Compiler.Tests.Conformance;

/// <summary>
/// `kubectl kustomize` (the real kubectl v1.35, installed by .ci/install-tools) renders every
/// cluster's static folder that `reconcile compile` writes.
/// </summary>
public sealed class KustomizeTests
{
    [SkippableTheory]
    [MemberData(nameof(ExampleTests.Examples), MemberType = typeof(ExampleTests))]
    public void Kubectl_kustomize_renders_every_static_folder(string example)
    {
        var kubectl = ExternalTools.Require(ExternalTools.Kubectl(), "kubectl not installed: run .ci/install-tools (CI does)");
        var dir = Directory.CreateTempSubdirectory("reconcile-compile-");
        try
        {
            var output = new StringWriter();
            var exit = Program.Run(["compile", $"plans/examples/{example}", "--out", dir.FullName, "--now", "2026-12-01T00:00:00Z"],
                new IOContext(output, new StringWriter(), Repository.Root));
            Assert.True(exit == 0, output.ToString());
            var folders = Directory.GetDirectories(dir.FullName).Select(c => Path.Combine(c, "static")).Where(Directory.Exists).ToList();
            Assert.NotEmpty(folders);
            folders.Add(Path.Combine(dir.FullName, "run"));
            foreach (var folder in folders)
            {
                var (exit2, rendered, errors) = ExternalTools.Run(kubectl, ["kustomize", folder]);
                Assert.True(exit2 == 0, $"{folder}: {errors}");
                Assert.Contains(folder.EndsWith("run", StringComparison.Ordinal) ? "kind: MigrationRun" : "kind: MigrationPolicy", rendered);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

public sealed class CompileCommandTests
{
    [Fact]
    public void Compile_writes_the_layout_and_nothing_on_error()
    {
        var dir = Directory.CreateTempSubdirectory("reconcile-compile-");
        try
        {
            var output = new StringWriter();
            var target = Path.Combine(dir.FullName, "build");
            Assert.Equal(0, Program.Run(["compile", "plans/examples/fra-to-sgp", "--out", target, "--now", "2026-12-01T00:00:00Z"], new IOContext(output, new StringWriter(), Repository.Root)));
            Assert.True(File.Exists(Path.Combine(target, "graph.json")));
            Assert.True(File.Exists(Path.Combine(target, "sgp-1", "static", "kustomization.yaml")));
            Assert.True(File.Exists(Path.Combine(target, "sgp-1", "steps", "migrate-payments.db-0.yaml")));
            Assert.True(File.Exists(Path.Combine(target, "fra-1", "steps", "snapshot-payments.db-0.yaml")));

            // A broken template: exit 1, the previous output stays as it was.
            var templates = Path.Combine(dir.FullName, "templates");
            Directory.CreateDirectory(templates);
            File.WriteAllText(Path.Combine(templates, "vmim.yaml.sbn"), "kind: X\n{{ nope }}\n");
            var before = Directory.GetFiles(target, "*", SearchOption.AllDirectories).Length;
            output = new StringWriter();
            Assert.Equal(1, Program.Run(["compile", "plans/examples/fra-to-sgp", "--out", target, "--templates", templates], new IOContext(output, new StringWriter(), Repository.Root)));
            Assert.Contains("error RC6002", output.ToString());
            Assert.Equal(before, Directory.GetFiles(target, "*", SearchOption.AllDirectories).Length);

            Assert.Equal(2, Program.Run(["compile", "plans/examples/fra-to-sgp", "--out", target, "--templates", "no/such/dir"], new IOContext(new StringWriter(), new StringWriter(), Repository.Root)));

            // An output path that is a file: a usage error, not a crash.
            var file = Path.Combine(dir.FullName, "a-file");
            File.WriteAllText(file, "keep");
            var error = new StringWriter();
            Assert.Equal(2, Program.Run(["compile", "plans/examples/fra-to-sgp", "--out", file, "--now", "2026-12-01T00:00:00Z"], new IOContext(new StringWriter(), error, Repository.Root)));
            Assert.Contains("is a file", error.ToString());
            Assert.Equal("keep", File.ReadAllText(file));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
