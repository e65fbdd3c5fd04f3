using System.Text;
using CsCheck;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;
using Reconcile.Reconciler.Discovery;

namespace Reconcile.Compiler.Tests.Hostile;

/// <summary>
/// What a cluster holds is untrusted too: a faulty or hostile cluster (a label value, a feature gate, a
/// guest agent's OS name) must not change the structure of the files `discover` writes. Every string
/// is written so that it reads back as exactly that string, in a key or a value, and comments stay on
/// their line.
/// </summary>
public sealed class DiscoveryQuotingTests
{
    // Any character YAML can carry in a double-quoted scalar (no lone surrogates, which no UTF-8 text holds).
    private static readonly Gen<string> Text = Gen.Frequency(
        (4, Gen.String[Gen.Char[(char)0, (char)0xD7FF], 0, 40]),
        (2, Gen.OneOf<string>("true", "No", "~", "null", "0x1F", "08", "1e3", "- a", "a: b", "{x}", "[y]", "#c", "&a", "*a", "!t", "|", ">", "%", "@", "`", "'", "\"", "", " ", "a\n b", "x\u2028y", "\uFEFF", "\u0085")),
        (1, Gen.String[Gen.Char[(char)0xE000, (char)0xFFFD], 0, 10]));

    [Fact]
    public void Every_string_reads_back_as_itself_as_a_key_a_value_and_in_a_flow_mapping()
    {
        Gen.Select(Text.Where(k => k is not ("flow" or "items" or "list")), Text, Text).Sample((key, value, comment) =>
        {
            var text = new StringBuilder();
            YamlText.Write(text, new YamlMapping(
            [
                new YamlEntry(key.Length == 0 ? "k" : key, YamlScalar.Of(value), comment),
                new YamlEntry("flow", new YamlMapping([new YamlEntry(key.Length == 0 ? "k" : key, YamlScalar.Of(value))], Flow: true), comment),
                new YamlEntry("list", new YamlSequence([YamlScalar.Of(value)], Flow: true)),
                new YamlEntry("items", new YamlSequence([YamlScalar.Of(value)], Comments: [comment])),
            ]));
            var documents = new List<PlanDocument>();
            var diagnostics = new List<Diagnostic>();
            PlanLoader.LoadText("t.yaml", text.ToString(), documents, diagnostics);
            Assert.True(diagnostics.Count == 0, $"{string.Join("\n", diagnostics)}\n{text}");
            var root = documents.Single().Root!.AsObject();
            var k = key.Length == 0 ? "k" : key;
            Assert.Equal(new[] { "flow", "items", "list", k }.Order(StringComparer.Ordinal), root.Select(p => p.Key).Order(StringComparer.Ordinal));
            Assert.Equal(value, root[k]!.GetValue<string>());
            Assert.Equal(value, root["flow"]![k]!.GetValue<string>());
            Assert.Equal(value, root["list"]![0]!.GetValue<string>());
            Assert.Equal(value, root["items"]![0]!.GetValue<string>());
            // Each entry on its own line, the block sequence's item below it: nothing
            // in a comment or value starts a line of its own.
            Assert.True(text.ToString().Split('\n').Length == 6, text.ToString());
        }, iter: 2000);
    }
}
