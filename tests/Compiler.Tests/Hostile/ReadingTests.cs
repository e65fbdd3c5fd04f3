
namespace Reconcile.Compiler.Tests.Hostile;

/// <summary>
/// Hostile and careless input, part 2: what a pull request can put in the plans' tree so that reading
/// it hangs, never ends, reads it many times or reads files outside it. Only regular files inside the
/// given paths are read, each once; everything else is a diagnostic, never a read.
/// </summary>
public sealed class ReadingTests
{
    private static (int Exit, string Output) Cli(string cwd, params string[] args) => HostileCli.Run(cwd, args);

    private static TempDirectory Plans() => HostileCli.Example("node-drain", "plans");

    [SkippableFact]
    public void Links_out_of_the_tree_FIFOs_devices_and_directory_loops_are_diagnostics_not_reads()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "FIFOs and /dev/zero are Linux's");
        using var tree = Plans();
        File.WriteAllText(tree.File("outside.yaml"), "secret: hunter2-7f3a\n");
        Directory.CreateSymbolicLink(tree.File("plans/loop-here"), ".");
        Directory.CreateSymbolicLink(tree.File("plans/loop-up"), "..");
        File.CreateSymbolicLink(tree.File("plans/zero.yaml"), "/dev/zero");
        File.CreateSymbolicLink(tree.File("plans/leak.yaml"), tree.File("outside.yaml"));
        File.CreateSymbolicLink(tree.File("plans/again.yaml"), tree.File("plans/plan.yaml"));
        Assert.Equal(0, ExternalTools.Run("mkfifo", [tree.File("plans/fifo.yaml")]).Exit);

        var (exit, output) = Cli(tree.Path, "validate", "plans");
        Assert.Equal(1, exit);
        Assert.Contains("plans/fifo.yaml:1:1: error RC1008: 'plans/fifo.yaml' is not a regular file", output);
        Assert.Contains("plans/zero.yaml:1:1: error RC1008: 'plans/zero.yaml' is a link that leaves the given paths", output);
        Assert.Contains("plans/leak.yaml:1:1: error RC1008: 'plans/leak.yaml' is a link that leaves the given paths", output);
        Assert.Contains("plans/loop-here:1:1: warning RC1009", output);
        Assert.Contains("plans/loop-up:1:1: warning RC1009", output);
        Assert.DoesNotContain("hunter2", output);
        // The link to plan.yaml inside the tree is the same file: read once, so no duplicate MigrationPlan.
        Assert.DoesNotContain("RC2001", output);
        Assert.EndsWith("3 errors, 2 warnings\n", output);
    }

    [SkippableFact]
    public void A_FIFO_named_on_the_command_line_is_not_opened()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "FIFOs are Linux's");
        using var tree = Plans();
        Assert.Equal(0, ExternalTools.Run("mkfifo", [tree.File("plan.yaml")]).Exit);
        var (exit, output) = Cli(tree.Path, "validate", "plan.yaml");
        Assert.NotEqual(0, exit);
        Assert.Contains("error RC1008: 'plan.yaml' is not a regular file", output);
    }

    [Fact]
    public void A_template_that_is_a_link_is_refused_and_nothing_renders()
    {
        using var tree = Plans();
        File.WriteAllText(tree.File("secret.txt"), "root:x:0:0:hunter2-7f3a");
        Directory.CreateDirectory(tree.File("plans/templates"));
        File.CreateSymbolicLink(tree.File("plans/templates/vmim.yaml.sbn"), tree.File("secret.txt"));
        var (exit, output) = Cli(tree.Path, "compile", "plans", "--out", "build", "--now", "2026-12-01T00:00:00Z");
        Assert.Equal(1, exit);
        Assert.Contains("plans/templates/vmim.yaml.sbn:1:1: error RC1008: template vmim.yaml.sbn is a symbolic link or not a regular file", output);
        Assert.DoesNotContain("hunter2", output);
        Assert.False(Directory.Exists(tree.File("build")));
    }
}
