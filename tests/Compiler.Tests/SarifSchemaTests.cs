using System.Text.Json.Nodes;
using Json.Schema;
using Reconcile.Compiler.Formatting;

namespace Reconcile.Compiler.Tests;

/// <summary>`--format sarif` is valid SARIF 2.1.0: checked against the standard's JSON schema (installed by .ci/install-tools).</summary>
public sealed class SarifSchemaTests
{
    // Loaded once: JsonSchema.Net registers a schema by its $id globally.
    private static readonly Lazy<JsonSchema> Loaded = new(Load);

    private static JsonSchema Schema()
    {
        ExternalTools.Require(ExternalTools.SarifSchema(), "SARIF schema not installed: run .ci/install-tools sarif (CI does)");
        return Loaded.Value;
    }

    private static JsonSchema Load()
    {
        var path = ExternalTools.SarifSchema()!;
        // The published schema is draft-04, which JsonSchema.Net does not implement; its keywords are
        // all draft-07 keywords with the same meaning except the root "id", which only names it.
        var schema = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        schema["$schema"] = "http://json-schema.org/draft-07/schema#";
        schema.Remove("id");

        return JsonSchema.FromText(schema.ToJsonString(), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }

    private static EvaluationResults Evaluate(JsonSchema schema, string sarif) =>
        schema.Evaluate(System.Text.Json.JsonDocument.Parse(sarif).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });

    [SkippableFact]
    public void Every_fixture_and_example_renders_schema_valid_sarif()
    {
        var schema = Schema();
        foreach (var path in new[] { "plans/invalid", "plans/examples" })
        {
            var result = PlanValidator.Validate([path], Repository.Root);
            var evaluation = Evaluate(schema, DiagnosticRenderer.Sarif(result.Diagnostics));
            Assert.True(evaluation.IsValid, $"{path}: " + string.Join("\n", (evaluation.Details ?? []).Where(d => d.Errors is not null)
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).Take(20)));
        }
    }

    [SkippableFact]
    public void The_schema_check_rejects_broken_sarif()
    {
        var schema = Schema();
        var sarif = JsonNode.Parse(DiagnosticRenderer.Sarif(PlanValidator.Validate(["plans/invalid/RC3002-latency-too-high-for-live.yaml"], Repository.Root).Diagnostics))!;
        sarif["runs"]![0]!["results"]![0]!["level"] = "fatal";
        Assert.False(Evaluate(schema, sarif.ToJsonString()).IsValid);
        sarif = JsonNode.Parse(DiagnosticRenderer.Sarif([]))!;
        sarif["version"] = "2.0.0";
        Assert.False(Evaluate(schema, sarif.ToJsonString()).IsValid);
    }
}
