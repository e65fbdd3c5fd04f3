using System.Text.RegularExpressions;
using Reconcile.Compiler.Diagnostics;

namespace Reconcile.Compiler.Tests;

/// <summary>
/// One test per diagnostic code: each file in plans/invalid marks, with `# expect: CODE` on the line,
/// every diagnostic it must produce, and produces no other.
/// </summary>
public sealed partial class FixtureTests
{
    // Codes whose input cannot live in a fixture file; each has its own test in LoaderTests or CliTests.
    public static readonly string[] CodesTestedInCode = ["RC1003", "RC1005", "RC1008", "RC1009", "RC1017", "RC1099", "RC4009", "RC6001", "RC6002", "RC6003"];

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(Repository.PathOf("plans", "invalid")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(entry));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Fixture_produces_exactly_the_marked_diagnostics(string fixture)
    {
        var relative = $"plans/invalid/{fixture}";
        var result = PlanValidator.Validate([relative], Repository.Root);
        var full = Repository.PathOf("plans", "invalid", fixture);
        var code = fixture[..6];

        if (Directory.Exists(full))
        {
            // A directory fixture is about the path itself (RC1006): the diagnostic points at it.
            var only = Assert.Single(result.Diagnostics);
            Assert.Equal((code, relative, 1, 1), (only.Code, only.Location.File, only.Location.Line, only.Location.Column));
            return;
        }

        var lines = File.ReadAllLines(full);
        var expected = lines
            .Select((line, i) => (Match: Expect().Match(line), Line: i + 1))
            .Where(x => x.Match.Success)
            .SelectMany(x => x.Match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => (Code: c, x.Line)))
            .ToHashSet();
        var actual = result.Diagnostics.Select(d => (d.Code, d.Location.Line)).ToHashSet();

        Assert.Contains((code, expected.First(e => e.Code == code).Line), actual);
        Assert.Equal(expected.OrderBy(e => e.Line).ThenBy(e => e.Code), actual.OrderBy(e => e.Line).ThenBy(e => e.Code));
        foreach (var d in result.Diagnostics)
        {
            Assert.Equal(relative, d.Location.File);
            Assert.InRange(d.Location.Column, 1, lines[d.Location.Line - 1].Length + 1);
            Assert.False(string.IsNullOrWhiteSpace(d.Hint));
        }
    }

    [Fact]
    public void Every_code_has_a_fixture_or_a_dedicated_test()
    {
        var fixtures = Directory.EnumerateFileSystemEntries(Repository.PathOf("plans", "invalid"))
            .Select(e => Path.GetFileName(e)[..6]).ToHashSet();
        var missing = DiagnosticCatalog.All.Select(d => d.Code)
            .Where(c => !fixtures.Contains(c) && !CodesTestedInCode.Contains(c)).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Fixture_names_match_the_catalogue()
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(Repository.PathOf("plans", "invalid")))
        {
            var name = Path.GetFileNameWithoutExtension(entry);
            var descriptor = DiagnosticCatalog.Find(name[..6]);
            Assert.NotNull(descriptor);
            Assert.Equal($"{descriptor.Code}-{descriptor.Name}", name);
        }
    }

    [GeneratedRegex(@"# expect: ((?:RC\d{4} ?)+)")]
    private static partial Regex Expect();
}
