using CsCheck;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;

namespace Reconcile.Compiler.Tests;

/// <summary>
/// Random damage to valid plans (drop, duplicate, retype, truncate, garble) never makes validation
/// throw or report an internal error, and every diagnostic points inside a real file.
/// </summary>
public sealed class PropertyTests
{
    private static readonly (string Name, string Text)[] Files = Directory
        .EnumerateFiles(Repository.PathOf("plans", "examples"), "*.yaml", SearchOption.AllDirectories)
        .Order(StringComparer.Ordinal)
        .Select(f => (Path.GetRelativePath(Repository.Root, f).Replace('\\', '/'), File.ReadAllText(f)))
        .ToArray();

    private static readonly string[] Replacements = ["[]", "{}", "42", "-1", "true", "\"x\"", "~", "&a x", "*a", "[*a, *a]", "{a: 1, a: 2}", "\"\\u0000\"", "9999999999999999999999Gi", "2026-02-30T00:00:00Z", "'", "{", "]"];

    private static string Mutate(string text, int kind, int position, int choice)
    {
        var lines = text.Split('\n').ToList();
        var line = position % Math.Max(1, lines.Count);
        switch (kind)
        {
            case 0:
                lines.RemoveAt(line);
                return string.Join('\n', lines);
            case 1:
                lines.Insert(line, lines[line]);
                return string.Join('\n', lines);
            case 2:
                var colon = lines[line].IndexOf(": ", StringComparison.Ordinal);
                var replacement = Replacements[choice % Replacements.Length];
                lines[line] = colon >= 0 ? lines[line][..(colon + 2)] + replacement : replacement;
                return string.Join('\n', lines);
            case 3:
                return text[..(position % Math.Max(1, text.Length))];
            default:
                var chars = text.ToCharArray();
                var random = new Random(position ^ choice);
                for (var i = 0; i < 1 + choice % 8 && chars.Length > 0; i++)
                {
                    chars[random.Next(chars.Length)] = (char)random.Next(0, 0x3000);
                }

                return new string(chars);
        }
    }

    [Fact]
    public void Mutated_plans_never_crash_and_diagnostics_point_into_the_files()
    {
        var gen = Gen.Select(Gen.Int[0, Files.Length - 1], Gen.Int[0, 4], Gen.Int[0, 1_000_000], Gen.Int[0, 1000], Gen.Int[1, 3]);
        gen.Sample((file, kind, position, choice, times) =>
        {
            var texts = Files.Select(f => f.Text).ToArray();
            for (var i = 0; i < times; i++)
            {
                texts[file] = Mutate(texts[file], (kind + i) % 5, position * (i + 1), choice + i);
            }

            var documents = new List<PlanDocument>();
            var diagnostics = new List<Diagnostic>();
            for (var i = 0; i < Files.Length; i++)
            {
                PlanLoader.LoadText(Files[i].Name, texts[i], documents, diagnostics);
            }

            var result = PlanValidator.Validate(new LoadResult(documents, diagnostics, Files.Length));
            foreach (var d in result.Diagnostics)
            {
                Assert.True(d.Code != "RC1099", d.ToString());
                var index = Array.FindIndex(Files, f => f.Name == d.Location.File);
                Assert.True(index >= 0, $"{d} names an unknown file");
                var lineCount = texts[index].Split('\n').Length;
                Assert.InRange(d.Location.Line, 1, lineCount + 1);
                Assert.True(d.Location.Column >= 1);
                Assert.NotNull(DiagnosticCatalog.Find(d.Code));
            }
        }, iter: 400);
    }
}
