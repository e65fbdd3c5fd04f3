using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Rendering;

namespace Reconcile.Compiler.Tests;

/// <summary>
/// A compilation given the one before it (as the reconciler does for each new revision) takes over the plans
/// whose files did not change: at the same time its output must be exactly what compiling from scratch gives,
/// and only plans that read nothing edited may be taken over.
/// </summary>
public sealed class IncrementalCompilationTests
{
    private static readonly DateTime Now = new(2027, 3, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The examples' files, display path to text (plans/examples/PLAN/FILE.yaml).</summary>
    private static SortedDictionary<string, string> Examples()
    {
        var root = Repository.PathOf("plans", "examples");
        return new SortedDictionary<string, string>(
            Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories)
                .ToDictionary(f => "plans/examples/" + Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllText),
            StringComparer.Ordinal);
    }

    private static CompilationResult Compile(IReadOnlyDictionary<string, string> files, DateTime now, TemplateSet? templates = null, CompilationResult? previous = null)
    {
        var load = PlanLoader.LoadTexts([.. files.Select(f => new PlanLoader.SourceText(f.Key, f.Value.Length, () => f.Value))]);
        var result = Compilation.Run(PlanValidator.Validate(load), now, templates ?? new TemplateSet(null, Repository.Root), progress: null, sink: null, previous);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return result;
    }

    private static void AssertSameOutput(CompilationResult expected, CompilationResult actual)
    {
        Assert.Equal(expected.Files.Keys, actual.Files.Keys);
        foreach (var (path, content) in expected.Files)
        {
            Assert.True(content == actual.Files[path], $"{path} differs from a compilation from scratch");
        }

        Assert.Equal(expected.Diagnostics, actual.Diagnostics);
        Assert.Equal(expected.Plans.Select(p => (p.Name, p.Prefix, p.Manifests.Count)), actual.Plans.Select(p => (p.Name, p.Prefix, p.Manifests.Count)));
    }

    public static TheoryData<string> ExampleFiles() => [.. Examples().Keys];

    [Theory]
    [MemberData(nameof(ExampleFiles))]
    public void Editing_one_file_compiles_again_only_the_plan_that_reads_it(string edited)
    {
        var files = Examples();
        var first = Compile(files, Now);
        Assert.Empty(first.Reused);
        Assert.Equal(3, first.Reusable.Count);

        files[edited] += "\n# edited in a later revision\n";
        var incremental = Compile(files, Now, previous: first);
        AssertSameOutput(Compile(files, Now), incremental);

        // Each example plan reads the files of its own folder and nothing else.
        var folder = Path.GetDirectoryName(edited);
        Assert.Equal(first.Validation.Model.Plans.Where(p => Path.GetDirectoryName(p.Source.Map.File) != folder).Select(p => p.Name).Order(), incremental.Reused.Order());
        Assert.Equal(2, incremental.Reused.Count);
        foreach (var name in incremental.Reused)
        {
            // Taken over, not planned again: the very step list of the first compilation.
            Assert.Same(first.Plan(name).Graph.Steps, incremental.Plan(name).Graph.Steps);
        }
    }

    [Fact]
    public void A_change_of_content_is_compiled_and_the_other_plans_keep_their_graphs_with_the_new_digest()
    {
        var files = Examples();
        var first = Compile(files, Now);
        var plan = files.Keys.Single(k => k.EndsWith("onprem-to-cloud/plan.yaml", StringComparison.Ordinal));
        files[plan] = files[plan].Replace("maxFailures: 2", "maxFailures: 3", StringComparison.Ordinal);
        Assert.NotEqual(Examples()[plan], files[plan]);

        var later = Now.AddHours(5);
        var incremental = Compile(files, later, previous: first);
        Assert.Equal(["ber-1-firmware-wave", "fra-to-sgp-payments"], incremental.Reused.Order());
        foreach (var graph in incremental.Graphs)
        {
            Assert.Equal(incremental.Validation.Digest, graph.Digest);
            Assert.NotEqual(first.Validation.Digest, graph.Digest);
            // A plan taken over keeps the prediction made when it was planned; the edited one is planned now.
            Assert.Equal(incremental.Reused.Contains(graph.Plan) ? first.Graphs.Single(g => g.Plan == graph.Plan).Start : later, graph.Start);
        }

        foreach (var name in incremental.Reused)
        {
            var run = incremental.Files[$"{name}/run/migrationrun.yaml"];
            Assert.Contains(incremental.Validation.Digest, run);
        }
    }

    [Fact]
    public void Other_templates_or_another_number_of_plans_compile_everything_again()
    {
        var files = Examples();
        var overrides = new Dictionary<string, (string Text, string DisplayPath)>
        {
            ["snapshot.yaml.sbn"] = (new TemplateSet().Read("snapshot.yaml.sbn")!.Value.Text, "plans/templates/snapshot.yaml.sbn"),
        };
        var first = Compile(files, Now, new TemplateSet(overrides));
        Assert.Equal(3, first.Reusable.Count);

        overrides["snapshot.yaml.sbn"] = (overrides["snapshot.yaml.sbn"].Text + "\n", "plans/templates/snapshot.yaml.sbn");
        var edited = Compile(files, Now, new TemplateSet(overrides), first);
        Assert.Empty(edited.Reused);
        AssertSameOutput(Compile(files, Now, new TemplateSet(overrides)), edited);

        // From three plans to two, each keeps its folder (NAME/) and is taken over; from two to one, the
        // remaining plan's files move to the top of the tree and it is rendered again.
        var two = new SortedDictionary<string, string>(files.Where(f => !f.Key.Contains("/node-drain/", StringComparison.Ordinal)).ToDictionary(), StringComparer.Ordinal);
        var fromThree = Compile(two, Now, new TemplateSet(overrides), edited);
        Assert.Equal(2, fromThree.Reused.Count);
        AssertSameOutput(Compile(two, Now, new TemplateSet(overrides)), fromThree);

        var one = new SortedDictionary<string, string>(two.Where(f => !f.Key.Contains("/fra-to-sgp/", StringComparison.Ordinal)).ToDictionary(), StringComparer.Ordinal);
        var fromTwo = Compile(one, Now, new TemplateSet(overrides), fromThree);
        Assert.Empty(fromTwo.Reused);
        AssertSameOutput(Compile(one, Now, new TemplateSet(overrides)), fromTwo);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_plan_reads_the_inventories_it_names_or_all_of_them(bool names)
    {
        // ams-to-aws alone, with a second inventory on its source cluster that its plan does not name.
        var files = new SortedDictionary<string, string>(Examples().Where(f => f.Key.Contains("/onprem-to-cloud/", StringComparison.Ordinal)).ToDictionary(), StringComparer.Ordinal);
        var inventory = files["plans/examples/onprem-to-cloud/inventory.yaml"];
        var secondVm = inventory.IndexOf("    - name:", inventory.IndexOf("    - name:", StringComparison.Ordinal) + 1, StringComparison.Ordinal);
        var extra = "plans/examples/onprem-to-cloud/extra.yaml";
        files[extra] = inventory[..secondVm].Replace("ams-onprem-vms", "ams-extra-vms", StringComparison.Ordinal).Replace("cassandra-0", "extra-0", StringComparison.Ordinal);
        var plan = "plans/examples/onprem-to-cloud/plan.yaml";
        if (!names)
        {
            files[plan] = string.Join('\n', files[plan].Split('\n').Where(line => !line.TrimStart().StartsWith("inventories:", StringComparison.Ordinal)));
        }

        var first = Compile(files, Now);
        files[extra] += "\n# edited\n";
        var incremental = Compile(files, Now, previous: first);
        Assert.Equal(names ? ["ams-to-aws"] : [], incremental.Reused);
        AssertSameOutput(Compile(files, Now), incremental);
    }

    [Fact]
    public void Templates_from_a_directory_and_output_streamed_to_a_sink_offer_nothing_to_take_over()
    {
        var files = Examples();
        using var templates = new TempDirectory();
        var load = PlanLoader.LoadTexts([.. files.Select(f => new PlanLoader.SourceText(f.Key, f.Value.Length, () => f.Value))]);
        var fromDirectory = Compilation.Run(PlanValidator.Validate(load), Now, new TemplateSet(templates.Path, Repository.Root), progress: null, sink: null);
        Assert.False(fromDirectory.HasErrors);
        Assert.Empty(fromDirectory.Reusable);

        var streamed = Compilation.Run(PlanValidator.Validate(load), Now, new TemplateSet(null, Repository.Root), progress: null, sink: new FileCollection());
        Assert.Empty(streamed.Reusable);
    }
}
