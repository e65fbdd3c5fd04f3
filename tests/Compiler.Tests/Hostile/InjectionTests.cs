using System.Text.Json.Nodes;
using Reconcile.Cli;
using Reconcile.Compiler.Formatting;
using Reconcile.Compiler.Loading;

namespace Reconcile.Compiler.Tests.Hostile;

/// <summary>
/// Hostile and careless input, parts 1, 5 and 8: values that would add fields to the rendered objects,
/// values the Kubernetes API server would reject, and values that would write their own lines into a
/// CI log. Each is refused at the plan's own line (code, file:line), before anything is rendered.
/// </summary>
public sealed class InjectionTests
{
    private static (int Exit, string Output) Validate(TempDirectory tree, string format = "text")
    {
        var output = new StringWriter();
        var exit = Program.Run(["validate", tree.Path, "--format", format], new IOContext(output, new StringWriter(), tree.Path));
        return (exit, output.ToString());
    }

    /// <summary>The fra-to-sgp example with one line of one file replaced.</summary>
    private static TempDirectory Edited(string file, int line, string from, string to)
    {
        var tree = HostileCli.Example("fra-to-sgp");
        var lines = File.ReadAllLines(tree.File(file));
        Assert.Contains(from, lines[line - 1]);
        lines[line - 1] = lines[line - 1].Replace(from, to, StringComparison.Ordinal);
        File.WriteAllLines(tree.File(file), lines);
        return tree;
    }

    public static TheoryData<string, int, string, string, string> Hostile() => new()
    {
        // A CPU model with a line break used to add firmware.kernelBoot to the receiver VM.
        { "inventory-fra-1.yaml", 16, "model: host-model", "model: \"host-model\\n        firmware: {kernelBoot: {container: {image: evil}}}\"", "RC1014" },
        { "inventory-fra-1.yaml", 24, "nad: storage-net", "nad: \"storage-net\\n          accessCredentials: []\"", "RC1014" },
        { "inventory-fra-1.yaml", 24, "nad: storage-net", "nad: \"storage-net #trailing\"", "RC1014" },
        { "inventory-fra-1.yaml", 14, "tier: db", "tier: \"db\\nnodeSelector: {evil: x}\"", "RC1014" },
        // As the API server rejects them: a value over 63 characters, a key with a space, a bad prefix.
        { "inventory-fra-1.yaml", 14, "tier: db", $"tier: {new string('d', 64)}", "RC1015" },
        { "inventory-fra-1.yaml", 14, "tier: db", "\"my tier\": db", "RC1014" },
        { "inventory-fra-1.yaml", 14, "tier: db", "\"Example.COM/tier\": db", "RC1014" },
        { "inventory-fra-1.yaml", 14, "tier: db", "tier: -db", "RC1014" },
        { "topology.yaml", 29, "cpuModel: Cascadelake-Server", "cpuModel: \"Cascadelake Server\"", "RC1014" },
        { "topology.yaml", 17, "featureGates: [DecentralizedLiveMigration]", "featureGates: [\"DecentralizedLiveMigration\\n\"]", "RC1014" },
        { "topology.yaml", 37, "[migration-net, storage-net]", "[migration-net, \"storage-net; rm -rf /\"]", "RC1014" },
        { "plan.yaml", 42, "timeZone: Asia/Shanghai", "timeZone: ../../../etc/passwd", "RC1014" },
        { "plan.yaml", 45, "cron: \"0 23 * * 1-5\"", "cron: \"0 23 * * 1-5\\n::error::owned\"", "RC1014" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_hostile_value_is_the_plans_error_at_the_plans_line(string file, int line, string from, string to, string code)
    {
        using var tree = Edited(file, line, from, to);
        var (exit, output) = Validate(tree);
        Assert.Equal(1, exit);
        Assert.Contains($"{file}:{line}:", output);
        Assert.Contains($"error {code}", output);
        Assert.DoesNotContain("RC6003", output);
        Assert.DoesNotContain("RC1099", output);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("github")]
    public void A_value_with_a_line_break_never_starts_a_line_of_the_output(string format)
    {
        using var tree = Edited("plan.yaml", 45, "cron: \"0 23 * * 1-5\"", "cron: \"0 23 * * 1-5\\n::error file=x::owned\\r\\n::add-mask::\\u2028::stop-commands::x\"");
        var (exit, output) = Validate(tree, format);
        Assert.Equal(1, exit);
        var lines = output.Split('\n');
        Assert.All(lines, l => Assert.False(l.StartsWith("::", StringComparison.Ordinal) && !l.StartsWith("::error file=", StringComparison.Ordinal) && !l.StartsWith("::warning file=", StringComparison.Ordinal) && !l.StartsWith("::notice file=", StringComparison.Ordinal), l));
        Assert.DoesNotContain(lines, l => l.StartsWith("::error file=x", StringComparison.Ordinal) || l.Contains('\r') || l.Contains('\u2028'));
        Assert.Equal("a\\nb\\u2028c\\u001b", Printable.Of("a\nb\u2028c\u001b"));
    }

    [Fact]
    public void Annotations_are_checked_as_the_API_server_checks_them_keys_and_total_size()
    {
        using var tree = Edited("plan.yaml", 9, "metadata:", $"metadata:\n  annotations: {{\"bad key\": x, note: \"{new string('n', 300 * 1024)}\"}}");
        var (exit, output) = Validate(tree);
        Assert.Equal(1, exit);
        Assert.Contains("plan.yaml:10:", output);
        Assert.Contains("error RC1014", output);
        Assert.Contains("error RC1015: metadata.annotations hold 307,", output);
    }

    /// <summary>Valid label values YAML would read as other types ("true", "null", "1e3") stay strings in every rendered object.</summary>
    [Fact]
    public void Every_template_emits_each_plan_value_as_one_string_scalar()
    {
        using var tree = Edited("inventory-fra-1.yaml", 14, "labels: {app: payments, tier: db}", "labels: {app: payments, tier: db, approved: \"true\", build: \"1e3\", owner: \"null\", ticket: \"0x1F\", shift: \"08\"}");
        using var output = new TempDirectory();
        var exit = Program.Run(["compile", tree.Path, "--out", output.File("build"), "--now", "2026-12-01T00:00:00Z"], new IOContext(new StringWriter(), new StringWriter(), tree.Path));
        Assert.Equal(0, exit);
        var found = 0;
        foreach (var file in Directory.GetFiles(output.File("build"), "*.yaml", SearchOption.AllDirectories))
        {
            var documents = new List<PlanDocument>();
            var diagnostics = new List<Diagnostics.Diagnostic>();
            PlanLoader.LoadText(file, File.ReadAllText(file), documents, diagnostics);
            Assert.Empty(diagnostics);
            foreach (var labels in documents.SelectMany(d => Labels(d.Root)))
            {
                if (labels["ticket"] is { } ticket)
                {
                    found++;
                    Assert.Equal(("true", "1e3", "null", "0x1F", "08"), (Text(labels["approved"]), Text(labels["build"]), Text(labels["owner"]), Text(ticket), Text(labels["shift"])));
                }
            }
        }

        Assert.True(found > 0, "the edited VM's labels were rendered nowhere");
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : $"<not a string: {node?.ToJsonString()}>";

    private static IEnumerable<JsonObject> Labels(JsonNode? node) => node switch
    {
        JsonObject o => o.Where(e => e.Key == "labels" && e.Value is JsonObject).Select(e => (JsonObject)e.Value!).Concat(o.SelectMany(e => Labels(e.Value))),
        JsonArray a => a.SelectMany(Labels),
        _ => [],
    };
}
