
namespace Reconcile.Compiler.Tests.Hostile;

/// <summary>
/// Hostile and careless input, parts 3 and 4: inputs that would make work explode (aliases of a large
/// anchor, a huge flat mapping, a catastrophic template regex) and schema-valid values the planner
/// cannot use (no bandwidth, dates at the ends of the calendar). Each ends in a located diagnostic.
/// </summary>
public sealed class LimitsTests
{
    private static (int Exit, string Output) Cli(string cwd, params string[] args) => HostileCli.Run(cwd, args);

    private static TempDirectory NodeDrain(params (string File, string From, string To)[] edits)
    {
        var tree = HostileCli.Example("node-drain");
        foreach (var (file, from, to) in edits)
        {
            var text = File.ReadAllText(tree.File(file));
            Assert.Contains(from, text);
            File.WriteAllText(tree.File(file), text.Replace(from, to, StringComparison.Ordinal));
        }

        return tree;
    }

    [Fact]
    public void A_large_anchor_behind_many_aliases_is_refused_at_the_alias_that_crosses_the_bound()
    {
        using var tree = new TempDirectory();
        var lines = new List<string> { "apiVersion: migration.reconcile.dev/v1alpha1", "kind: Inventory", "metadata: {name: x}", "spec:", "  cluster: c",
            $"  note: &big \"{new string('a', 1 << 20)}\"", "  vms:" };
        lines.AddRange(Enumerable.Range(0, 1000).Select(i => $"    - {{name: v{i}, namespace: n, node: w, memory: 1Gi, note: *big}}"));
        File.WriteAllLines(tree.File("inventory.yaml"), lines);
        var (exit, output) = Cli(tree.Path, "validate", ".");
        Assert.Equal(1, exit);
        Assert.Contains("inventory.yaml:23:", output); // the 16th alias: 16 MiB of text
        Assert.Contains("RC1004: aliases expand this document to more than 16 MiB of text", output);
        Assert.DoesNotContain("RC1099", output);
    }

    [Fact]
    public void A_flat_mapping_of_a_hundred_thousand_keys_still_finds_the_duplicate_at_its_line()
    {
        using var tree = new TempDirectory();
        var lines = new List<string> { "apiVersion: migration.reconcile.dev/v1alpha1", "kind: Inventory", "metadata:", "  name: x", "  labels:" };
        lines.AddRange(Enumerable.Range(0, 100_000).Select(i => $"    k{i:D7}: v"));
        lines.Add("    k0000042: again");
        lines.Add("spec: {cluster: c, vms: []}");
        File.WriteAllLines(tree.File("inventory.yaml"), lines);
        var (exit, output) = Cli(tree.Path, "validate", ".");
        Assert.Equal(1, exit);
        Assert.Contains($"inventory.yaml:{lines.Count - 1}:5: error RC1002: key 'k0000042' appears twice", output);
    }

    [Theory]
    [InlineData("text", "... and 500 more, not shown")]
    [InlineData("github", "::notice title=reconcile::500 more diagnostics not shown")]
    public void One_input_prints_at_most_a_thousand_diagnostics_and_says_how_many_more(string format, string more)
    {
        using var tree = new TempDirectory();
        var lines = new List<string> { "apiVersion: migration.reconcile.dev/v1alpha1", "kind: Inventory", "metadata: {name: x}", "spec:", "  cluster: c", "  vms:" };
        lines.AddRange(Enumerable.Range(0, 1500).Select(i => $"    - {{name: v{i}, namespace: n, node: w, memory: 1Gi, bogus: 1}}"));
        File.WriteAllLines(tree.File("inventory.yaml"), lines);
        var (exit, output) = Cli(tree.Path, "validate", ".", "--format", format);
        Assert.Equal(1, exit);
        Assert.Contains(more, output);
        Assert.Equal(1000, output.Split('\n').Count(l => l.Contains("RC1010", StringComparison.Ordinal)));
        if (format == "text")
        {
            Assert.EndsWith("1500 errors, 0 warnings\n", output);
        }
    }

    [Fact]
    public void A_template_regex_that_backtracks_forever_times_out_at_its_line()
    {
        using var tree = NodeDrain();
        Directory.CreateDirectory(tree.File("templates"));
        var snapshot = File.ReadAllText(Repository.PathOf("templates", "vmim.yaml.sbn"))
            .Replace("kind: VirtualMachineInstanceMigration", "kind: VirtualMachineInstanceMigration\n# {{ \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\" | regex.match \"^(a+)+$\" }}", StringComparison.Ordinal);
        File.WriteAllText(tree.File("templates/vmim.yaml.sbn"), snapshot);
        var line = snapshot.Split('\n').ToList().FindIndex(l => l.Contains("regex.match", StringComparison.Ordinal)) + 1;
        var (exit, output) = Cli(tree.Path, "compile", ".", "--out", tree.File("../" + Path.GetFileName(tree.Path) + "-out"), "--now", "2026-12-01T00:00:00Z");
        Assert.Equal(1, exit);
        Assert.Contains($"vmim.yaml.sbn:{line}:", output);
        Assert.Contains("RC6002: The Regex engine has timed out", output);
    }

    public static TheoryData<string, string, string, string> Unusable() => new()
    {
        { "topology.yaml", "bandwidth: 25Gbps", "bandwidth: 0bps", "spec.clusters[0].migration.bandwidth is below 1 Kbps" },
        { "plan.yaml", "bandwidthPerMigration: 8Gbps", "bandwidthPerMigration: 0.5bps", "spec.strategy.bandwidthPerMigration is below 1 Kbps" },
        { "plan.yaml", "notBefore: 2027-02-01T00:00:00Z", "notBefore: 9999-12-31T23:00:00Z", "spec.notBefore is outside the years 1970 to 2999" },
        { "plan.yaml", "notBefore: 2027-02-01T00:00:00Z", "notBefore: 0001-01-01T00:00:00Z", "spec.notBefore is outside the years 1970 to 2999" },
        { "plan.yaml", "horizon: 336h", "horizon: 100000d", "spec.horizon is longer than" },
        { "plan.yaml", "duration: 6h", "duration: 99999999999999999999999999999999d", "is too long to be a duration" },
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public void A_schema_valid_value_the_planner_cannot_use_is_RC1020_at_its_line(string file, string from, string to, string message)
    {
        using var tree = NodeDrain((file, from, to));
        var line = File.ReadAllLines(tree.File(file)).ToList().FindIndex(l => l.Contains(to, StringComparison.Ordinal)) + 1;
        var (exit, output) = Cli(tree.Path, "plan", ".", "--now", "2026-12-01T00:00:00Z");
        Assert.Equal(1, exit);
        Assert.Contains($"{file}:{line}:", output);
        Assert.Contains("error RC1020", output);
        Assert.Contains(message, output);
        Assert.DoesNotContain("RC1099", output);
    }
}
