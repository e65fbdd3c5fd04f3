using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Reconcile.Compiler.Rendering;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler.Tests.Conformance;

/// <summary>Plans are untrusted: every value a template emits is one quoted (or JSON) scalar, whatever it holds.</summary>
public sealed partial class TemplateQuotingTests
{
    public static TheoryData<string> Templates() =>
        [.. Directory.EnumerateFiles(Repository.PathOf("templates"), "*.sbn").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Templates))]
    public void Every_value_expression_goes_through_a_quoting_filter(string template)
    {
        var unquoted = Expression().Matches(File.ReadAllText(Repository.PathOf("templates", template)))
            .Select(m => m.Groups[1].Value.Trim().TrimStart('-').Trim())
            .Where(e => e.Length > 0 && !e.StartsWith('#') && !Control().IsMatch(e) && !Quoted().IsMatch(e))
            .ToList();
        Assert.Empty(unquoted);
    }

    [Fact]
    public void A_plan_value_with_a_newline_stays_one_scalar()
    {
        // An attacker's CPU model that would add firmware.kernelBoot to the receiver VM if written unquoted.
        // Rendered without validation in between, so that only the templates stand in the way.
        const string model = "host-model\n          firmware: {kernelBoot: {container: {image: evil}}}";
        var (validation, result) = PlannerTests.PlanPath("plans/examples/fra-to-sgp", PlannerTests.Now);
        var set = validation.Model;
        var hostile = set with
        {
            Inventories = [.. set.Inventories.Select(i => i with { Vms = [.. i.Vms.Select(v => v.Name == "db-0" ? v with { Cpu = v.Cpu with { Model = model } } : v)] })],
        };
        var rendered = new ManifestRenderer(new TemplateSet()).Render(result.Graph!, PlanScope.Create(hostile.Plans[0], hostile));
        Assert.Empty(rendered.Diagnostics);
        var file = rendered.Files.Single(f => f.Path.StartsWith("sgp-1/steps/migrate-payments.db-0", StringComparison.Ordinal));
        var vm = ManifestConformanceTests.ParseAll(file).Single(o => o["kind"]!.GetValue<string>() == "VirtualMachine");
        var domain = vm["spec"]!["template"]!["spec"]!["domain"]!;
        Assert.Equal(model, domain["cpu"]!["model"]!.GetValue<string>());
        Assert.Null(domain["firmware"]);
        Assert.Null(domain["cpu"]!["firmware"]);
    }

    [GeneratedRegex(@"\{\{(.*?)\}\}", RegexOptions.Singleline)]
    private static partial Regex Expression();

    [GeneratedRegex(@"^(for|if|else|end|capture|while|include)\b")]
    private static partial Regex Control();

    [GeneratedRegex(@"\|\s*(string\.literal|object\.to_json)\s*$")]
    private static partial Regex Quoted();
}
