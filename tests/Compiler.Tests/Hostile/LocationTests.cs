
namespace Reconcile.Compiler.Tests.Hostile;

/// <summary>
/// Hostile and careless input, part 6: problems reported at the wrong place or not at all. Each case
/// names the diagnostic and the file:line it must carry.
/// </summary>
public sealed class LocationTests
{
    private static (int Exit, string Output) Cli(string cwd, params string[] args) => HostileCli.Run(cwd, args);

    private static TempDirectory Example(string example) => HostileCli.Example(example);

    private static void EditLine(TempDirectory tree, string file, int line, Func<string, string> edit)
    {
        var lines = File.ReadAllLines(tree.File(file));
        lines[line - 1] = edit(lines[line - 1]);
        File.WriteAllLines(tree.File(file), lines);
    }

    [Fact]
    public void A_tab_in_indentation_is_reported_on_its_own_line()
    {
        using var tree = Example("node-drain");
        EditLine(tree, "plan.yaml", 16, l => "\t" + l.TrimStart());
        var (exit, output) = Cli(tree.Path, "validate", ".");
        Assert.Equal(1, exit);
        Assert.StartsWith("plan.yaml:16:1: error RC1001:", output);
    }

    [Fact]
    public void A_schema_error_elsewhere_in_a_plan_adds_no_false_error_at_a_valid_deny_window()
    {
        using var tree = Example("fra-to-sgp");
        var plan = File.ReadAllLines(tree.File("plan.yaml")).ToList();
        var line = plan.FindIndex(l => l.Contains("maxDowntime:", StringComparison.Ordinal)) + 1;
        EditLine(tree, "plan.yaml", line, l => l[..(l.IndexOf("maxDowntime:", StringComparison.Ordinal) + "maxDowntime:".Length)] + " soon");
        var (exit, output) = Cli(tree.Path, "validate", ".");
        Assert.Equal(1, exit);
        Assert.Contains($"plan.yaml:{line}:", output);
        Assert.DoesNotContain("RC1016", output);
        Assert.EndsWith("1 errors, 0 warnings\n", output);
    }

    [Fact]
    public void A_VM_name_of_the_longest_length_Kubernetes_allows_compiles()
    {
        using var tree = Example("node-drain");
        var name = "erp-db-0" + new string('a', 245);
        Assert.Equal(253, name.Length);
        File.WriteAllText(tree.File("inventory.yaml"), File.ReadAllText(tree.File("inventory.yaml")).Replace("name: erp-db-0", "name: " + name, StringComparison.Ordinal));
        using var output = new TempDirectory();
        var (exit, text) = Cli(tree.Path, "compile", ".", "--out", output.File("build"), "--now", "2026-12-01T00:00:00Z");
        Assert.True(exit == 0, text);
        Assert.All(Directory.GetFiles(output.File("build"), "*", SearchOption.AllDirectories), f => Assert.InRange(Path.GetFileName(f).Length, 1, 255));
        Assert.Contains(Directory.GetFiles(output.File("build"), "*.yaml", SearchOption.AllDirectories), f => File.ReadAllText(f).Contains(name, StringComparison.Ordinal));
    }

    [Fact]
    public void An_empty_file_among_the_plans_is_a_warning_at_that_file()
    {
        using var tree = Example("node-drain");
        File.WriteAllText(tree.File("inventory-extra.yaml"), "");
        File.WriteAllText(tree.File("comments-only.yaml"), "# the rest was lost\n");
        var (exit, output) = Cli(tree.Path, "validate", ".");
        Assert.Equal(0, exit);
        Assert.Contains("comments-only.yaml:1:1: warning RC1017", output);
        Assert.Contains("inventory-extra.yaml:1:1: warning RC1017", output);
        Assert.EndsWith("0 errors, 2 warnings\n", output);
    }
}
