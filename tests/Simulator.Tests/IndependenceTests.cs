using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Reconcile.Simulator.World;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// The simulator is a second opinion: it may read the plan's data (Model, Loading) and shared facts
/// (Facts), but never the planner's model, its rules or its rendering, or agreeing with them proves nothing.
/// </summary>
public sealed class IndependenceTests
{
    [Fact]
    public void The_simulator_references_no_planner_rules_or_rendering()
    {
        using var stream = File.OpenRead(typeof(SimulatedWorld).Assembly.Location);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var used = metadata.TypeReferences.Select(h => metadata.GetTypeReference(h))
            .Select(t => $"{metadata.GetString(t.Namespace)}.{metadata.GetString(t.Name)}")
            .Where(n => n.StartsWith("Reconcile.Compiler.", StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(used);
        var forbidden = new[] { "Reconcile.Compiler.Planning.", "Reconcile.Compiler.Semantics.", "Reconcile.Compiler.Rendering." };
        Assert.DoesNotContain(used, n => forbidden.Any(f => n.StartsWith(f, StringComparison.Ordinal)));
    }
}
