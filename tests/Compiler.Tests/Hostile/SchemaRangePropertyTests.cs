using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsCheck;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Rendering;

namespace Reconcile.Compiler.Tests.Hostile;

/// <summary>
/// Hostile and careless input, part 4: every value the schema's formats allow (sizes, bandwidths,
/// durations, timestamps, integers), anywhere in the examples, either plans and renders or gets a
/// located diagnostic: never RC1099, never an exception. The generator stays here for the next format.
/// </summary>
public sealed partial class SchemaRangePropertyTests
{
    private enum Format
    {
        Bandwidth,
        Bytes,
        Duration,
        Timestamp,
        Integer,
    }

    private static readonly (string Name, JsonNode Root)[] Documents = LoadExamples();

    /// <summary>Every leaf of the examples whose value has one of the schema's formats, as (document, path, format).</summary>
    private static readonly (int Document, string[] Path, Format Format)[] Leaves =
        [.. Documents.SelectMany((d, i) => LeavesOf(d.Root, []).Select(l => (i, l.Path, l.Format)))];

    private static (string, JsonNode)[] LoadExamples()
    {
        var documents = new List<PlanDocument>();
        var diagnostics = new List<Diagnostic>();
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("plans", "examples"), "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            PlanLoader.LoadText(Path.GetRelativePath(Repository.Root, file).Replace('\\', '/'), File.ReadAllText(file), documents, diagnostics);
        }

        Assert.Empty(diagnostics);
        return [.. documents.Select(d => (d.File.Replace(".yaml", $"-{d.Index}.json", StringComparison.Ordinal), d.Root!.DeepClone()))];
    }

    private static IEnumerable<(string[] Path, Format Format)> LeavesOf(JsonNode? node, string[] path) => node switch
    {
        JsonObject o => o.SelectMany(e => LeavesOf(e.Value, [.. path, e.Key])),
        JsonArray a => a.SelectMany((e, i) => LeavesOf(e, [.. path, i.ToString(CultureInfo.InvariantCulture)])),
        JsonValue v when v.TryGetValue<long>(out _) => [(path, Format.Integer)],
        JsonValue v when v.TryGetValue<string>(out var s) && FormatOf(s) is { } format => [(path, format)],
        _ => [],
    };

    private static Format? FormatOf(string value) =>
        BandwidthPattern().IsMatch(value) ? Format.Bandwidth
        : DurationPattern().IsMatch(value) ? Format.Duration
        : TimestampPattern().IsMatch(value) ? Format.Timestamp
        : BytesPattern().IsMatch(value) ? Format.Bytes
        : null;

    private static readonly Gen<string> Number =
        Gen.Frequency((3, Gen.Int[0, 2000].Select(i => i.ToString(CultureInfo.InvariantCulture))), (1, Gen.Int[0, 9].Select(i => "0")),
            (1, Gen.Long[0, long.MaxValue].Select(l => l.ToString(CultureInfo.InvariantCulture) + "999999")),
            (1, Gen.Select(Gen.Int[0, 99], Gen.Int[0, 999]).Select((a, b) => $"{a}.{b}")));

    private static Gen<JsonNode> ValueOf(Format format) => format switch
    {
        Format.Bandwidth => Gen.Select(Number, Gen.OneOf<string>("bps", "Kbps", "Mbps", "Gbps", "Tbps")).Select((n, u) => (JsonNode)JsonValue.Create(n + u)),
        Format.Bytes => Gen.Select(Number, Gen.OneOf<string>("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E")).Select((n, u) => (JsonNode)JsonValue.Create(n + u)),
        Format.Duration => Gen.Select(Number, Gen.OneOf<string>("ms", "s", "m", "h", "d"), Gen.Bool).Select((n, u, twice) => (JsonNode)JsonValue.Create(twice ? $"{n}{u}{n}s" : n + u)),
        Format.Timestamp => Gen.Select(Gen.Int[0, 9999], Gen.Int[1, 12], Gen.Int[1, 28], Gen.Int[0, 23], Gen.OneOf<string>("Z", "+14:00", "-12:00", "+05:30"))
            .Select((y, m, d, h, z) => (JsonNode)JsonValue.Create($"{y:0000}-{m:00}-{d:00}T{h:00}:00:00{z}")),
        _ => Gen.Frequency((3, Gen.Int[-2, 1000].Select(i => (long)i)), (1, Gen.Long[long.MinValue, long.MaxValue])).Select(l => (JsonNode)JsonValue.Create(l)),
    };

    private static readonly Gen<(int Leaf, JsonNode Value)> Change =
        Gen.Int[0, Leaves.Length - 1].SelectMany(leaf => ValueOf(Leaves[leaf].Format).Select(value => (leaf, value)));

    [Fact]
    public void Every_value_of_the_schemas_formats_plans_or_gets_a_located_diagnostic()
    {
        Change.Array[1, 5].Sample(changes =>
        {
            var roots = Documents.Select(d => d.Root.DeepClone()).ToArray();
            foreach (var (leaf, value) in changes)
            {
                var (document, path, _) = Leaves[leaf];
                var parent = path[..^1].Aggregate(roots[document], (node, key) => node is JsonArray a ? a[int.Parse(key, CultureInfo.InvariantCulture)]! : node[key]!);
                if (parent is JsonArray array)
                {
                    array[int.Parse(path[^1], CultureInfo.InvariantCulture)] = value.DeepClone();
                }
                else
                {
                    parent[path[^1]] = value.DeepClone();
                }
            }

            // Indented JSON is YAML: every value on a line of its own, so locations can be checked.
            var documents = new List<PlanDocument>();
            var diagnostics = new List<Diagnostic>();
            var texts = roots.Select(r => r.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true })).ToArray();
            for (var i = 0; i < texts.Length; i++)
            {
                PlanLoader.LoadText(Documents[i].Name, texts[i], documents, diagnostics);
            }

            var validation = PlanValidator.Validate(new LoadResult(documents, diagnostics, texts.Length));
            var compiled = validation.Diagnostics.Any(d => d.IsError) ? null : Compilation.Run(validation, new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), new TemplateSet(null, Repository.Root));
            var all = compiled?.Diagnostics ?? validation.Diagnostics;
            var described = string.Join(", ", changes.Select(c => $"{string.Join('.', Leaves[c.Leaf].Path)} = {c.Value.ToJsonString()}"));
            foreach (var d in all)
            {
                Assert.True(d.Code != "RC1099", $"{described}: {d}");
                var index = Array.FindIndex(Documents, x => x.Name == d.Location.File);
                Assert.True(index >= 0 && d.Location.Line >= 1 && d.Location.Line <= texts[index].Split('\n').Length + 1, $"{described}: {d} is not inside a file");
            }

            if (compiled is { HasErrors: false })
            {
                Assert.Equal(validation.Model.Plans.Length, compiled.Graphs.Count);
            }
        }, iter: 150, threads: 1);
    }

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)?(bps|Kbps|Mbps|Gbps|Tbps)$")]
    private static partial Regex BandwidthPattern();

    [GeneratedRegex(@"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})$")]
    private static partial Regex TimestampPattern();

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?(/s)?$")]
    private static partial Regex BytesPattern();
}
