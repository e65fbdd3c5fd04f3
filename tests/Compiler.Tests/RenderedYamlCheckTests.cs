using Reconcile.Compiler.Rendering;

namespace Reconcile.Compiler.Tests;

/// <summary>The per-object check of rendered templates (RC6003): one document, a mapping, a kind, no key twice at any depth.</summary>
public sealed class RenderedYamlCheckTests
{
    [Theory]
    [InlineData("kind: A\nspec: {a: 1, b: [1, {c: 2}]}\n", true, null)]
    [InlineData("apiVersion: v1\nspec:\n  kind: nested\n", true, "something other than one Kubernetes object")]
    [InlineData("resources: [a, b]\n", false, null)]
    [InlineData("kind: A\nkind: B\n", true, "the key \"kind\" appears twice")]
    [InlineData("kind: A\nspec:\n  x: 1\n  y: {z: 1, z: 2}\n", true, "the key \"z\" appears twice")]
    [InlineData("kind: A\n---\nkind: B\n", true, "something other than one Kubernetes object")]
    [InlineData("- kind: A\n", true, "something other than one Kubernetes object")]
    [InlineData("just text\n", false, "something other than one Kubernetes object")]
    [InlineData("kind: A\n  bad: indentation\n", true, "text that does not parse")]
    [InlineData("kind: A\n? [complex]\n: key\n", true, "a mapping key that is not a plain value")]
    [InlineData("kind: A\nx: &a {b: 1}\ny: *a\n", true, null)]
    public void Accepts_one_object_and_says_what_else_it_got(string text, bool expectKind, string? problem)
    {
        var found = RenderedYamlCheck.Problem(text, expectKind);
        if (problem is null)
        {
            Assert.Null(found);
        }
        else
        {
            Assert.StartsWith(problem, found);
        }
    }
}
