using System.Security.Cryptography;
using System.Text;
using Reconcile.Compiler.Rendering;

namespace Reconcile.Compiler.Tests;

/// <summary>
/// Everything `compile` writes, file by file, for the examples and a generated fleet (240 VMs over four
/// clusters, windows, tiers; Goldens/fleet, written by `Reconcile.Bench --write 240 DIR --clusters 4
/// --windows`): the SHA-256 of each file against Goldens/NAME.sha256, in memory and as the CLI writes it. Speed work must change nothing a
/// user sees; RECONCILE_UPDATE_BASELINES=1 rewrites the lists when a change is meant.
/// </summary>
public sealed class CompileGoldenTests
{
    public static TheoryData<string> Cases() => new() { "plans/examples", "tests/Compiler.Tests/Goldens/fleet" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_file_compile_writes_is_byte_identical_to_its_golden(string input)
    {
        var directory = Repository.PathOf(input.Split('/'));
        var validation = PlanValidator.Validate([directory], directory);
        var result = Compilation.Run(validation, new DateTime(2027, 3, 1, 0, 0, 0, DateTimeKind.Utc), new TemplateSet(null, Repository.Root));
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var list = new StringBuilder();
        foreach (var (path, content) in result.Files)
        {
            list.Append(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)))).Append("  ").Append(path).Append('\n');
        }

        BaselineFiles.Check(Repository.PathOf("tests", "Compiler.Tests", "Goldens"), $"{Path.GetFileName(directory)}.sha256", list.ToString());

        // The CLI streams each file to disk as it is rendered (graph.json and report.html straight from their
        // writers): the tree it writes is the same, byte for byte.
        using var output = new TempDirectory();
        var exit = Cli.Program.Run(["compile", ".", "--out", output.File("out"), "--now", "2027-03-01T00:00:00Z"], new Cli.IOContext(new StringWriter(), new StringWriter(), directory));
        Assert.Equal(0, exit);
        var written = new StringBuilder();
        foreach (var file in Directory.EnumerateFiles(output.File("out"), "*", SearchOption.AllDirectories)
                     .Select(f => Path.GetRelativePath(output.File("out"), f).Replace('\\', '/')).Where(f => f != Cli.OutputDirectory.MarkerFile).Order(StringComparer.Ordinal))
        {
            written.Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(output.File("out/" + file))))).Append("  ").Append(file).Append('\n');
        }

        Assert.Equal(list.ToString(), written.ToString());
    }
}
