using System.Text.Json.Nodes;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler.Tests;

public sealed class LoaderTests
{
    private static (List<PlanDocument> Documents, List<Diagnostic> Diagnostics) Load(string yaml)
    {
        var documents = new List<PlanDocument>();
        var diagnostics = new List<Diagnostic>();
        PlanLoader.LoadText("t.yaml", yaml, documents, diagnostics);
        return (documents, diagnostics);
    }

    [Fact]
    public void Source_map_points_at_values_and_keys()
    {
        var (documents, diagnostics) = Load("a: 1\nlist:\n  - x\n  - {b: yes, c: no}\n");
        Assert.Empty(diagnostics);
        var doc = Assert.Single(documents);
        Assert.Equal(new SourceLocation("t.yaml", 1, 4), doc.ValueAt("/a"));
        Assert.Equal(new SourceLocation("t.yaml", 1, 1), doc.KeyAt("/a"));
        Assert.Equal(new SourceLocation("t.yaml", 3, 5), doc.ValueAt("/list/0"));
        Assert.Equal(new SourceLocation("t.yaml", 4, 17), doc.ValueAt("/list/1/c"));
        Assert.Equal(new SourceLocation("t.yaml", 4, 14), doc.KeyAt("/list/1/c"));
        // A pointer below a missing value falls back to the nearest ancestor.
        Assert.Equal(new SourceLocation("t.yaml", 4, 5), doc.ValueAt("/list/1/missing"));
    }

    [Fact]
    public void Plain_scalars_follow_the_yaml_1_2_core_schema()
    {
        var (documents, _) = Load("a: yes\nb: no\nc: true\nd: 12\ne: 1.5\nf: ~\ng: '12'\nh: 0x1F\ni: 2026-12-05T00:00:00Z\n");
        var root = (JsonObject)documents[0].Root!;
        Assert.Equal("yes", root["a"]!.GetValue<string>());
        Assert.Equal("no", root["b"]!.GetValue<string>());
        Assert.True(root["c"]!.GetValue<bool>());
        Assert.Equal(12L, root["d"]!.GetValue<long>());
        Assert.Equal(1.5, root["e"]!.GetValue<double>());
        Assert.Null(root["f"]);
        Assert.Equal("12", root["g"]!.GetValue<string>());
        Assert.Equal("0x1F", root["h"]!.GetValue<string>());
        Assert.Equal("2026-12-05T00:00:00Z", root["i"]!.GetValue<string>());
    }

    [Fact]
    public void Several_documents_per_file_keep_their_own_positions_and_empty_ones_are_skipped()
    {
        var (documents, diagnostics) = Load("---\nkind: A\n---\n---\nkind: B\n");
        Assert.Empty(diagnostics);
        Assert.Equal(["A", "B"], documents.Select(d => d.Kind));
        Assert.Equal(5, documents[1].ValueAt("/kind").Line);
        Assert.Equal(2, documents[1].Index);
    }

    [Fact]
    public void Duplicate_keys_are_refused_at_the_second_key()
    {
        var (_, diagnostics) = Load("a:\n  b: 1\n  b: 2\n");
        var d = Assert.Single(diagnostics);
        Assert.Equal(("RC1002", 3, 3), (d.Code, d.Location.Line, d.Location.Column));
    }

    [Fact]
    public void Syntax_errors_carry_their_position()
    {
        var (_, diagnostics) = Load("a: [1, 2\nb: 3\n");
        var d = Assert.Single(diagnostics);
        Assert.Equal("RC1001", d.Code);
        Assert.True(d.Location.Line >= 1);
    }

    [Fact]
    public void Billion_laughs_is_refused_without_expanding()
    {
        var levels = new List<string> { "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]" };
        for (var c = 'b'; c <= 'i'; c++)
        {
            var previous = (char)(c - 1);
            levels.Add($"{c}: &{c} [{string.Join(",", Enumerable.Repeat($"*{previous}", 10))}]");
        }

        var (documents, diagnostics) = Load(string.Join("\n", levels) + "\n");
        Assert.Empty(documents);
        Assert.Equal("RC1004", Assert.Single(diagnostics).Code);
    }

    [Fact]
    public void Deep_nesting_is_refused()
    {
        var (_, diagnostics) = Load(new string('[', 500) + new string(']', 500));
        Assert.Equal("RC1004", Assert.Single(diagnostics).Code);
    }

    [Fact]
    public void Files_over_16_MiB_are_refused_before_reading()
    {
        var dir = Directory.CreateTempSubdirectory("reconcile-big-");
        try
        {
            var path = Path.Combine(dir.FullName, "big.yaml");
            using (var file = File.Create(path))
            {
                file.SetLength(PlanLoader.MaxFileBytes + 1);
            }

            var result = PlanValidator.Validate(["big.yaml"], dir.FullName);
            var d = Assert.Single(result.Diagnostics);
            Assert.Equal(("RC1003", "big.yaml", 1), (d.Code, d.Location.File, d.Location.Line));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Missing_paths_are_an_input_problem()
    {
        var result = PlanValidator.Validate(["no/such/plan.yaml"], Repository.Root);
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("RC1005", d.Code);
        Assert.True(result.HasInputProblem);
    }

    [Fact]
    public void Directories_are_read_in_ordinal_order_skipping_hidden_folders()
    {
        var dir = Directory.CreateTempSubdirectory("reconcile-tree-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, ".git"));
            Directory.CreateDirectory(Path.Combine(dir.FullName, "b"));
            File.WriteAllText(Path.Combine(dir.FullName, ".git", "x.yaml"), "kind: Hidden\n");
            File.WriteAllText(Path.Combine(dir.FullName, "b", "z.yml"), "kind: Z\n");
            File.WriteAllText(Path.Combine(dir.FullName, "a.yaml"), "kind: A\n");
            File.WriteAllText(Path.Combine(dir.FullName, "notes.txt"), "not yaml");
            var load = new PlanLoader(dir.FullName).Load(["."]);
            Assert.Equal(["a.yaml", "b/z.yml"], load.Documents.Select(d => d.File));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_rule_that_throws_becomes_an_internal_error_diagnostic()
    {
        var load = new PlanLoader(Repository.Root).Load(["plans/examples/node-drain"]);
        var result = PlanValidator.Validate(load, [new ThrowingRule()]);
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("RC1099", d.Code);
        Assert.Contains("boom", d.Message);
    }

    private sealed class ThrowingRule : IPlanRule
    {
        public void Check(PlanScope scope, IDiagnosticWriter diagnostics) => throw new InvalidOperationException("boom");
    }
}
