using Reconcile.Cli;

namespace Reconcile.Compiler.Tests.Hostile;

/// <summary>
/// Hostile and careless input, part 7: `--out` may never delete what reconcile did not write. Each case
/// is a command a user (or a pull request's CI job) might run, with the refusal it gets (exit 2) and the
/// files that must survive it.
/// </summary>
public sealed class OutputDirectoryTests
{
    private static (int Exit, string Error) Run(string cwd, params string[] args)
    {
        var error = new StringWriter();
        var exit = Program.Run([.. args, "--now", "2026-12-01T00:00:00Z"], new IOContext(new StringWriter(), error, cwd));
        return (exit, error.ToString());
    }

    /// <summary>A working tree with the node-drain plans in plans/ and a notes file beside them.</summary>
    private static TempDirectory Tree()
    {
        var dir = HostileCli.Example("node-drain", "plans");
        File.WriteAllText(dir.File("NOTES.md"), "mine");
        return dir;
    }

    private static void AssertIntact(TempDirectory tree)
    {
        Assert.Equal("mine", File.ReadAllText(tree.File("NOTES.md")));
        Assert.Equal(Directory.GetFiles(Repository.PathOf("plans", "examples", "node-drain")).Select(Path.GetFileName).Order(),
            Directory.GetFiles(tree.File("plans")).Select(Path.GetFileName).Order());
    }

    [Theory]
    [InlineData("plans", "plans")]            // compile X --out X
    [InlineData(".", ".")]                    // compile . --out .
    [InlineData("plans", ".")]                // the output would contain the plans
    [InlineData("plans", "plans/build")]      // the output inside the plans: the next validate reads it as plans
    [InlineData(".", "build")]
    public void An_output_that_overlaps_the_inputs_is_refused(string input, string output)
    {
        using var tree = Tree();
        var (exit, error) = Run(tree.Path, "compile", input, "--out", output);
        Assert.Equal(2, exit);
        Assert.Contains("overlaps the input", error);
        AssertIntact(tree);
        Assert.False(Directory.Exists(tree.File("plans/build")));
        Assert.False(Directory.Exists(tree.File("build")));
    }

    [Fact]
    public void A_templates_folder_inside_the_output_is_refused()
    {
        using var tree = Tree();
        Directory.CreateDirectory(tree.File("out/templates"));
        var (exit, error) = Run(tree.Path, "compile", "plans", "--out", "out", "--templates", "out/templates");
        Assert.Equal(2, exit);
        Assert.Contains("overlaps the input", error);
        Assert.True(Directory.Exists(tree.File("out/templates")));
    }

    [Theory]
    [InlineData("compile")]
    [InlineData("plan")]
    public void A_non_empty_directory_reconcile_did_not_write_is_left_alone(string command)
    {
        using var tree = Tree();
        Directory.CreateDirectory(tree.File("docs"));
        File.WriteAllText(tree.File("docs/thesis.tex"), "five years");
        var (exit, error) = Run(tree.Path, command, "plans", "--out", "docs");
        Assert.Equal(2, exit);
        Assert.Contains("was not written by reconcile", error);
        Assert.Equal(["thesis.tex"], Directory.GetFileSystemEntries(tree.File("docs")).Select(Path.GetFileName));
        AssertIntact(tree);
    }

    [Fact]
    public void Its_own_output_is_replaced_but_not_once_someone_added_a_file_to_it()
    {
        using var tree = Tree();
        Assert.Equal(0, Run(tree.Path, "compile", "plans", "--out", "build").Exit);
        Assert.True(File.Exists(tree.File($"build/{OutputDirectory.MarkerFile}")));
        Assert.Equal(0, Run(tree.Path, "compile", "plans", "--out", "build").Exit);

        File.WriteAllText(tree.File("build/ber-1/handwritten.yaml"), "kind: ConfigMap");
        var (exit, error) = Run(tree.Path, "compile", "plans", "--out", "build");
        Assert.Equal(2, exit);
        Assert.Contains("holds 1 file(s) reconcile did not write (first: ber-1/handwritten.yaml)", error);
        Assert.True(File.Exists(tree.File("build/ber-1/handwritten.yaml")));

        // An earlier run's output nested inside (plan --out build/x after compile --out build) is reconcile's too.
        File.Delete(tree.File("build/ber-1/handwritten.yaml"));
        Assert.Equal(0, Run(tree.Path, "plan", "plans", "--out", "build/graph-only").Exit);
        Assert.Equal(0, Run(tree.Path, "compile", "plans", "--out", "build").Exit);

        // An empty directory is fine; so is one that does not exist yet.
        Directory.CreateDirectory(tree.File("empty"));
        Assert.Equal(0, Run(tree.Path, "compile", "plans", "--out", "empty").Exit);
        Assert.Equal(0, Run(tree.Path, "plan", "plans", "--out", "new/graph").Exit);
        AssertIntact(tree);
    }

    [Fact]
    public void Its_own_output_is_updated_in_place_touching_only_what_changed()
    {
        using var tree = Tree();
        Assert.Equal(0, Run(tree.Path, "compile", "plans", "--out", "build").Exit);
        var graph = tree.File("build/graph.json");
        var step = Directory.EnumerateFiles(tree.File("build/ber-1/steps")).Order(StringComparer.Ordinal).First();
        var before = (File.GetLastWriteTimeUtc(graph), File.GetLastWriteTimeUtc(step), File.ReadAllText(graph));
        File.SetLastWriteTimeUtc(step, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        // What an interrupted update left before renaming it into place, and an earlier run's output nested inside.
        File.WriteAllText(tree.File($"build/ber-1/.labels.yaml{OutputDirectory.TemporarySuffix}"), "half");
        Assert.Equal(0, Run(tree.Path, "plan", "plans", "--out", "build/graph-only").Exit);

        // A VM's memory grows: the graph's timings change, the step files do not.
        var inventory = tree.File("plans/inventory.yaml");
        File.WriteAllText(inventory, File.ReadAllText(inventory).Replace("labels: {app: grafana}\n      memory: 4Gi", "labels: {app: grafana}\n      memory: 16Gi", StringComparison.Ordinal));
        Assert.Equal(0, Run(tree.Path, "compile", "plans", "--out", "build").Exit);
        Assert.NotEqual(before.Item3, File.ReadAllText(graph));
        Assert.Equal(new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc), File.GetLastWriteTimeUtc(step));
        Assert.False(Directory.Exists(tree.File("build/graph-only")));
        Assert.False(File.Exists(tree.File($"build/ber-1/.labels.yaml{OutputDirectory.TemporarySuffix}")));
        var listed = File.ReadAllLines(tree.File($"build/{OutputDirectory.MarkerFile}"));
        var present = Directory.EnumerateFiles(tree.File("build"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(tree.File("build"), f).Replace('\\', '/')).Where(f => f != OutputDirectory.MarkerFile).Order(StringComparer.Ordinal);
        Assert.Equal(listed, present);

        // A compile of the same inputs again writes nothing.
        var stamps = Directory.EnumerateFiles(tree.File("build"), "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(OutputDirectory.MarkerFile, StringComparison.Ordinal))
            .ToDictionary(f => f, File.GetLastWriteTimeUtc);
        foreach (var file in stamps.Keys)
        {
            File.SetLastWriteTimeUtc(file, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        }

        Assert.Equal(0, Run(tree.Path, "compile", "plans", "--out", "build").Exit);
        Assert.All(stamps.Keys, f => Assert.Equal(new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc), File.GetLastWriteTimeUtc(f)));
        Assert.Equal("mine", File.ReadAllText(tree.File("NOTES.md")));
    }

    [Fact]
    public void A_compile_that_fails_while_rendering_leaves_the_output_as_it_was()
    {
        // Files stream to disk as they are rendered: the static ones are written before a step's template fails.
        using var tree = Tree();
        Directory.CreateDirectory(tree.File("broken"));
        File.WriteAllText(tree.File("broken/vmim.yaml.sbn"), "apiVersion: v1\nkind: {{ migration.no_such_field }}\n");
        var (exit, _) = Run(tree.Path, "compile", "plans", "--out", "fresh", "--templates", "broken");
        Assert.Equal(1, exit);
        Assert.Equal(["broken", "plans"], Directory.GetDirectories(tree.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        Assert.Equal(0, Run(tree.Path, "compile", "plans", "--out", "build").Exit);
        var before = Snapshot(tree.File("build"));
        Assert.Equal(1, Run(tree.Path, "compile", "plans", "--out", "build", "--templates", "broken").Exit);
        Assert.Equal(before, Snapshot(tree.File("build")));
        Assert.Equal(["broken", "build", "plans"], Directory.GetDirectories(tree.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        AssertIntact(tree);
    }

    private static List<string> Snapshot(string directory) =>
        [.. Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => Path.GetRelativePath(directory, p) + (File.Exists(p) ? " " + File.ReadAllText(p).GetHashCode(StringComparison.Ordinal) : "/"))];

    [Fact]
    public void A_symbolic_link_as_the_output_is_refused()
    {
        using var tree = Tree();
        Directory.CreateDirectory(tree.File("elsewhere"));
        File.WriteAllText(tree.File("elsewhere/keep.txt"), "keep");
        Directory.CreateSymbolicLink(tree.File("link"), tree.File("elsewhere"));
        var (exit, error) = Run(tree.Path, "compile", "plans", "--out", "link");
        Assert.Equal(2, exit);
        Assert.Contains("symbolic link", error);
        Assert.Equal("keep", File.ReadAllText(tree.File("elsewhere/keep.txt")));
    }
}
