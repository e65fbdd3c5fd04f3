using System.Text;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Formatting;

namespace Reconcile.Compiler.Tests;

/// <summary>
/// Golden files: each folder under Baselines holds plan.yaml and its expected renderings.
/// Set RECONCILE_UPDATE_BASELINES=1 to rewrite them after an intended change, then review the diff.
/// </summary>
public sealed class BaselineTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.EnumerateDirectories(Repository.PathOf("tests", "Compiler.Tests", "Baselines")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Renderings_match_their_baselines(string name)
    {
        var dir = Repository.PathOf("tests", "Compiler.Tests", "Baselines", name);
        var result = PlanValidator.Validate(["plan.yaml"], dir);
        Assert.NotEmpty(result.Diagnostics);
        Check(dir, "diagnostics.txt", DiagnosticRenderer.Text(result.Diagnostics));
        Check(dir, "diagnostics.json", DiagnosticRenderer.Json(result.Diagnostics));
        Check(dir, "diagnostics.sarif", DiagnosticRenderer.Sarif(result.Diagnostics));
        Check(dir, "diagnostics.github.txt", DiagnosticRenderer.Github(result.Diagnostics));
        Check(dir, "plan.diagnostics.txt", Annotate(File.ReadAllLines(Path.Combine(dir, "plan.yaml")), result.Diagnostics));
    }

    /// <summary>The source with each diagnostic written under the line it points at, a caret under its column.</summary>
    private static string Annotate(string[] lines, IReadOnlyList<Diagnostic> diagnostics)
    {
        var text = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            text.Append(lines[i]).Append('\n');
            foreach (var d in diagnostics.Where(d => d.Location.Line == i + 1))
            {
                text.Append(new string(' ', d.Location.Column - 1)).Append($"^ {d.Severity.ToText()} {d.Code}: {d.Message}\n");
            }
        }

        return text.ToString();
    }

    private static void Check(string dir, string file, string actual) => BaselineFiles.Check(dir, file, actual);
}

/// <summary>Compares output with a golden file, or rewrites it when RECONCILE_UPDATE_BASELINES=1.</summary>
internal static class BaselineFiles
{
    private static readonly bool Update = Environment.GetEnvironmentVariable("RECONCILE_UPDATE_BASELINES") == "1";

    public static void Check(string dir, string file, string actual)
    {
        var path = Path.Combine(dir, file);
        if (Update)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(path, actual);
            return;
        }

        var expected = File.Exists(path) ? File.ReadAllText(path) : "";
        if (expected != actual)
        {
            var actualPath = Path.Combine(Path.GetTempPath(), $"reconcile-baseline-{Path.GetFileName(dir)}-{file}");
            File.WriteAllText(actualPath, actual);
            Assert.Fail($"{file} differs from its baseline. See: git diff --no-index {path} {actualPath}\nRun with RECONCILE_UPDATE_BASELINES=1 to accept.");
        }
    }
}
