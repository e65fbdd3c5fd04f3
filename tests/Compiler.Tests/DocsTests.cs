using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Schema;

namespace Reconcile.Compiler.Tests;

/// <summary>Keeps docs/diagnostics.md and the schema honest against the code.</summary>
public sealed partial class DocsTests
{
    [Fact]
    public void Diagnostics_page_and_catalogue_agree()
    {
        var page = File.ReadAllText(Repository.PathOf("docs", "diagnostics.md"));
        var documented = Heading().Matches(page).ToDictionary(m => m.Groups[1].Value, m => (Name: m.Groups[2].Value, Severity: m.Groups[3].Value));
        var catalogue = DiagnosticCatalog.All.ToDictionary(d => d.Code);

        Assert.Equal(catalogue.Keys.Order(), documented.Keys.Order());
        foreach (var (code, descriptor) in catalogue)
        {
            Assert.Equal((descriptor.Name, descriptor.Severity.ToText()), documented[code]);
        }

        // Every code's section shows a bad and a fixed example.
        var sections = Regex.Split(page, "(?m)^### ").Skip(1).ToList();
        Assert.All(sections, s => Assert.Contains("Bad:", s));
        Assert.All(sections, s => Assert.Contains("Fixed:", s));
    }

    [Fact]
    public void Codes_are_unique_and_in_their_family()
    {
        var codes = DiagnosticCatalog.All.Select(d => d.Code).ToList();
        Assert.Equal(codes.Count, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^RC[1-6][0-9]{3}$", c));
    }

    [Fact]
    public void Embedded_schema_is_the_repository_schema()
    {
        Assert.Equal(File.ReadAllText(Repository.PathOf("schema", "plan.schema.json")), PlanSchema.Text);
    }

    [Fact]
    public void Every_schema_property_has_a_description_and_objects_are_closed()
    {
        var schema = JsonNode.Parse(PlanSchema.Text)!;
        var problems = new List<string>();
        Walk(schema, "#", problems);
        Assert.Empty(problems);
    }

    private static void Walk(JsonNode? node, string path, List<string> problems)
    {
        if (node is JsonObject obj)
        {
            if (obj["properties"] is JsonObject properties)
            {
                foreach (var (name, property) in properties)
                {
                    if (property?["description"] is null && path != "#" && !path.EndsWith("/if", StringComparison.Ordinal))
                    {
                        problems.Add($"{path}/properties/{name} has no description");
                    }
                }

                if (path != "#" && obj["type"]?.GetValue<string>() == "object" && obj["additionalProperties"] is null)
                {
                    problems.Add($"{path} allows additional properties");
                }
            }

            foreach (var (key, child) in obj)
            {
                Walk(child, $"{path}/{key}", problems);
            }
        }
        else if (node is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Walk(array[i], $"{path}/{i}", problems);
            }
        }
    }

    [GeneratedRegex(@"(?m)^### (RC\d{4})\r?\n\r?\n`([a-z0-9-]+)` · (error|warning|info)")]
    private static partial Regex Heading();
}
