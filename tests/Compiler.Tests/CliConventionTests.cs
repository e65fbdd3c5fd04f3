using System.Text.Json.Nodes;

namespace Reconcile.Compiler.Tests;

/// <summary>kubectl's conventions (README, "Conventions"): -o is the output format, --out-dir the output directory, JSON one document.</summary>
public sealed class CliConventionTests
{
    private static (int Exit, string Out, string Error) Run(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exit = Reconcile.Cli.Program.Run(args, new Reconcile.Cli.IOContext(output, error, Repository.Root));
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Dash_o_is_the_format_the_directory_is_out_dir_and_several_plans_are_one_json_document()
    {
        var validated = Run("validate", "plans/examples", "-o", "json");
        Assert.Equal(0, validated.Exit);
        Assert.NotNull(JsonNode.Parse(validated.Out));
        Assert.Equal(validated.Out, Run("validate", "plans/examples", "--format", "json").Out);

        var planned = Run("plan", "plans/examples", "--now", "2026-12-01T00:00:00Z", "-o", "json");
        Assert.Equal(0, planned.Exit);
        var list = JsonNode.Parse(planned.Out)!;
        Assert.Equal("ExecutionGraphList", list["kind"]!.GetValue<string>());
        Assert.Equal(3, list["items"]!.AsArray().Count);
        Assert.All(list["items"]!.AsArray(), g => Assert.Equal("ExecutionGraph", g!["kind"]!.GetValue<string>()));
        Assert.Equal("ExecutionGraph", JsonNode.Parse(Run("plan", "plans/examples/node-drain", "--now", "2026-12-01T00:00:00Z", "-o", "json").Out)!["kind"]!.GetValue<string>());

        using var directory = new TempDirectory();
        Assert.Equal(0, Run("compile", "plans/examples/node-drain", "--out-dir", directory.File("a"), "--now", "2026-12-01T00:00:00Z").Exit);
        Assert.Equal(0, Run("compile", "plans/examples/node-drain", "--out", directory.File("b"), "--now", "2026-12-01T00:00:00Z").Exit);
        Assert.Equal(Directory.GetFiles(directory.File("a"), "*", SearchOption.AllDirectories).Length, Directory.GetFiles(directory.File("b"), "*", SearchOption.AllDirectories).Length);
        var dashO = Run("compile", "plans/examples/node-drain", "-o", directory.File("c"), "--now", "2026-12-01T00:00:00Z");
        Assert.Equal(2, dashO.Exit);
        Assert.False(Directory.Exists(directory.File("c")));
        // Scripts from before -o was the format get told what to write instead.
        Assert.Contains($"the output directory is --out-dir {directory.File("c")}", dashO.Error);
        Assert.DoesNotContain("hint", Run("plan", "plans/examples", "-o", "yaml").Error);
    }
}
