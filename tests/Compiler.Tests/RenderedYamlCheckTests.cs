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

/// <summary>The memo over skeletons: only quoted values are masked, and only where that cannot change the structure.</summary>
public sealed class RenderedYamlSkeletonTests
{
    [Fact]
    public void Objects_that_differ_only_in_quoted_values_are_parsed_once()
    {
        var check = new RenderedYamlCheck();
        Assert.Null(check.Check("kind: A\nmetadata:\n  \"app\": \"x\"\n  name: \"a\\u00e9\"\nspec:\n  items:\n    - \"one\"\n  empty: {}\n", true));
        Assert.Null(check.Check("kind: A\nmetadata:\n  \"app\": \"y: z # not a comment\"\n  name: \"b\"\nspec:\n  items:\n    - \"two - three\"\n  empty: {}\n", true));
        Assert.Equal(1, check.FullParses);
    }

    [Theory]
    [InlineData("kind: A\nlabels:\n  \"a\": \"1\"\n  \"b\": \"2\"\n", "kind: A\nlabels:\n  \"a\": \"1\"\n  \"a\": \"2\"\n", "the key \"a\" appears twice")]
    [InlineData("kind: A\nx: \"ok\"\n", "kind: A\nx: \"bad \\q escape\"\n", "text that does not parse")]
    [InlineData("kind: A\nx: a - \"b\"\n", "kind: A\nx: a - \"b: c\"\n", null)]
    [InlineData("kind: A\nx: plain\n  \"more\"\n", "kind: A\nx: plain\n  \"more: here\"\n", null)]
    public void A_text_a_memo_could_misjudge_is_parsed_in_full(string first, string second, string? problem)
    {
        var check = new RenderedYamlCheck();
        Assert.Null(check.Check(first, true));
        var found = check.Check(second, true);
        Assert.Equal(RenderedYamlCheck.Problem(second, true), found);
        if (problem is not null)
        {
            Assert.StartsWith(problem, found);
        }

        Assert.Equal(2, check.FullParses);
    }
}
