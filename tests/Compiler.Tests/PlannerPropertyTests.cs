using CsCheck;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Rendering;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler.Tests;

/// <summary>Random fleets through validate and plan: the scheduler never breaks a hard constraint.</summary>
public sealed class PlannerPropertyTests
{
    private const int Fleets = 1500;

    [Fact]
    public void Random_fleets_never_violate_the_graph_contract()
    {
        var planned = 0;
        var explained = 0;
        Gen.Int.Sample(seed =>
        {
            var yaml = RandomFleet.Generate(seed);
            var documents = new List<PlanDocument>();
            var diagnostics = new List<Diagnostic>();
            PlanLoader.LoadText("fleet.yaml", yaml, documents, diagnostics);
            var validation = PlanValidator.Validate(new LoadResult(documents, diagnostics, 1));
            Assert.DoesNotContain(validation.Diagnostics, d => d.Code == "RC1099");
            if (validation.HasErrors)
            {
                return;
            }

            var plan = Assert.Single(validation.Model.Plans);
            var result = Planner.Plan(plan, validation.Model, PlannerTests.Now, validation.Digest);
            if (result.Graph is null)
            {
                // Only the planner's own, VM-naming diagnostics may stop a valid plan.
                Assert.All(result.Diagnostics.Where(d => d.IsError), d => Assert.Contains(d.Code, new[] { "RC4009", "RC5010", "RC5011" }));
                Assert.All(result.Diagnostics.Where(d => d.IsError), d => Assert.Contains("VM ", d.Message));
                Interlocked.Increment(ref explained);
                return;
            }

            var problems = GraphChecker.Check(GraphWriter.Json(result.Graph), PlannerTests.ExpectationOf(plan, validation.Model));
            Assert.True(problems.Count == 0, $"seed {seed}:\n{string.Join("\n", problems)}\n{yaml}");

            // The default templates render every planned fleet without a problem.
            var rendered = new ManifestRenderer(new TemplateSet()).Render(result.Graph, PlanScope.Create(plan, validation.Model));
            Assert.True(rendered.Diagnostics.Count == 0, $"seed {seed}: {string.Join("; ", rendered.Diagnostics)}");
            Interlocked.Increment(ref planned);
        }, iter: Fleets, threads: 1);

        // Most random fleets must get as far as a graph, or the property says little.
        Console.WriteLine($"planned {planned}, explained {explained} of {Fleets}");
        Assert.True(planned > Fleets / 2, $"only {planned} of {Fleets} fleets were planned ({explained} explained by diagnostics)");
    }
}
