namespace Reconcile.Compiler.Tests;

public sealed class ExampleTests
{
    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.EnumerateDirectories(Repository.PathOf("plans", "examples")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_validates_clean(string example)
    {
        var result = PlanValidator.Validate([$"plans/examples/{example}"], Repository.Root);
        Assert.Empty(result.Diagnostics);
        Assert.Single(result.Model.Plans);
        Assert.NotEmpty(result.Model.Inventories.SelectMany(i => i.Vms));
    }

    [Fact]
    public void All_examples_validate_clean_together()
    {
        var result = PlanValidator.Validate(["plans/examples"], Repository.Root);
        Assert.Empty(result.Diagnostics);
        Assert.Equal(3, result.Model.Plans.Length);
    }

    [Fact]
    public void A_staged_move_without_storage_replication_is_RC3027_and_needs_no_export()
    {
        using var dir = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("plans", "examples", "fra-to-sgp")))
        {
            File.WriteAllText(dir.File(Path.GetFileName(file)), File.ReadAllText(file)
                .Replace("          replication: [{to: sgp-1, volumeReplicationClass: rbd-mirror-5m, rpo: 5m}]\n", "", StringComparison.Ordinal)
                .Replace("      mode: Cold                        # reporting tolerates a stop: one copy through an export, no replica\n", "", StringComparison.Ordinal)
                .Replace(", exportAddress: \"vmexport.fra-2.example.net\"", "", StringComparison.Ordinal));
        }

        var diagnostics = PlanValidator.Validate(["."], dir.Path).Diagnostics;
        Assert.All(diagnostics, d => Assert.Equal(("RC3027", "plan.yaml"), (d.Code, d.Location.File)));
        Assert.Equal(3, diagnostics.Count);
        Assert.Contains("storage class ceph-rbd on fra-2 declares no replication into sgp-1", diagnostics[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Replication_into_an_undeclared_cluster_is_RC2005_at_its_to()
    {
        using var dir = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("plans", "examples", "fra-to-sgp")))
        {
            File.WriteAllText(dir.File(Path.GetFileName(file)), File.ReadAllText(file)
                .Replace("replication: [{to: sgp-1,", "replication: [{to: sgp-9,", StringComparison.Ordinal));
        }

        var diagnostics = PlanValidator.Validate(["."], dir.Path).Diagnostics;
        var unknown = Assert.Single(diagnostics, d => d.Code == "RC2005");
        Assert.Equal("topology.yaml", unknown.Location.File);
        Assert.Contains("cluster 'sgp-9' is not declared", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_example_file_carries_the_schema_modeline()
    {
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("plans", "examples"), "*.yaml", SearchOption.AllDirectories))
        {
            var first = File.ReadLines(file).First();
            Assert.Equal("# yaml-language-server: $schema=../../../schema/plan.schema.json", first);
            var schema = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "../../../schema/plan.schema.json"));
            Assert.True(File.Exists(schema), $"{file}: modeline points at {schema}, which does not exist");
        }
    }
}
