using System.Text.Json.Nodes;
using Reconcile.Compiler.Planning;

namespace Reconcile.Compiler.Tests;

/// <summary>The checker itself must fail on a graph that breaks each invariant, or its silence proves nothing.</summary>
public sealed class GraphCheckerTests
{
    private static (JsonObject Graph, GraphChecker.Expectation Expected) Example(string name)
    {
        var (validation, result) = PlannerTests.PlanPath($"plans/examples/{name}", PlannerTests.Now);
        return ((JsonObject)JsonNode.Parse(GraphWriter.Json(result.Graph!))!, PlannerTests.ExpectationOf(validation.Model.Plans[0], validation.Model));
    }

    private static List<string> CheckAfter(string example, Action<JsonObject> damage)
    {
        var (graph, expected) = Example(example);
        Assert.Empty(GraphChecker.Check(graph.ToJsonString(), expected));
        damage(graph);
        return GraphChecker.Check(graph.ToJsonString(), expected);
    }

    private static JsonObject Step(JsonObject graph, string id) =>
        graph["steps"]!.AsArray().OfType<JsonObject>().Single(s => s["id"]!.GetValue<string>() == id);

    private static void Shift(JsonObject step, TimeSpan by)
    {
        foreach (var field in new[] { "plannedStart", "plannedEnd" })
        {
            var time = DateTime.Parse(step[field]!.GetValue<string>(), null, System.Globalization.DateTimeStyles.AdjustToUniversal);
            step[field] = GraphWriter.Time(time + by);
        }
    }

    [Fact]
    public void Catches_a_vm_without_its_migration() =>
        Assert.Contains(CheckAfter("node-drain", g => g["steps"]!.AsArray().Remove(Step(g, "migrate-erp.erp-db-0"))), p => p.StartsWith("1:", StringComparison.Ordinal));

    [Fact]
    public void Catches_a_step_that_starts_before_its_dependency() =>
        Assert.Contains(CheckAfter("node-drain", g => Shift(Step(g, "verify-erp.erp-db-0"), TimeSpan.FromMinutes(-10))), p => p.StartsWith("2:", StringComparison.Ordinal));

    [Fact]
    public void Catches_too_many_migrations_on_a_cluster_at_once() =>
        Assert.Contains(CheckAfter("node-drain", g =>
        {
            foreach (var step in g["steps"]!.AsArray().OfType<JsonObject>().Where(s => s["kind"]!.GetValue<string>() == "migrate"))
            {
                step["plannedStart"] = "2027-02-01T00:10:00Z";
                step["plannedEnd"] = GraphWriter.Time(new DateTime(2027, 2, 1, 0, 10, 0, DateTimeKind.Utc).AddSeconds(step["predicted"]!["seconds"]!.GetValue<long>()));
            }
        }), p => p.StartsWith("3:", StringComparison.Ordinal));

    [Fact]
    public void Catches_a_link_oversubscribed_by_bandwidth() =>
        Assert.Contains(CheckAfter("onprem-to-cloud", g => Step(g, "migrate-postgres.pg-0")["bandwidthBps"] = 3_000_000_000L), p => p.StartsWith("3: bandwidth", StringComparison.Ordinal));

    [Fact]
    public void Catches_a_migration_outside_its_windows() =>
        Assert.Contains(CheckAfter("fra-to-sgp", g => Shift(Step(g, "migrate-payments.db-0"), TimeSpan.FromHours(8))), p => p.StartsWith("4:", StringComparison.Ordinal));

    [Fact]
    public void Catches_a_prediction_that_disagrees_with_the_plan() =>
        Assert.Contains(CheckAfter("node-drain", g => Step(g, "migrate-ci.runner-0")["predicted"]!["seconds"] = 1), p => p.StartsWith("5:", StringComparison.Ordinal));

    [Fact]
    public void Catches_a_lower_bound_above_the_makespan() =>
        Assert.Contains(CheckAfter("node-drain", g => g["lowerBoundSeconds"] = g["makespanSeconds"]!.GetValue<long>() + 1), p => p.StartsWith("6:", StringComparison.Ordinal));

    [Fact]
    public void Catches_duplicate_ids_and_unsorted_steps() =>
        Assert.Contains(CheckAfter("node-drain", g => g["steps"]!.AsArray().Add(Step(g, "verify-ci.runner-0").DeepClone())), p => p.StartsWith("7:", StringComparison.Ordinal));
}

public sealed class GraphSchemaTests
{
    private static readonly Json.Schema.JsonSchema Schema = Json.Schema.JsonSchema.FromFile(Repository.PathOf("schema", "graph.schema.json"));

    [Theory]
    [MemberData(nameof(ExampleTests.Examples), MemberType = typeof(ExampleTests))]
    public void Example_graphs_conform_to_the_graph_schema(string example)
    {
        var json = GraphWriter.Json(PlannerTests.PlanPath($"plans/examples/{example}", PlannerTests.Now).Result.Graph!);
        var result = Schema.Evaluate(System.Text.Json.JsonDocument.Parse(json).RootElement, new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List });
        Assert.True(result.IsValid, string.Join("\n", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    [Fact]
    public void The_graph_schema_rejects_an_unknown_step_kind()
    {
        var json = GraphWriter.Json(PlannerTests.PlanPath("plans/examples/node-drain", PlannerTests.Now).Result.Graph!).Replace("\"kind\": \"verify\"", "\"kind\": \"teleport\"");
        Assert.False(Schema.Evaluate(System.Text.Json.JsonDocument.Parse(json).RootElement).IsValid);
    }
}
