using Reconcile.Cli;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler.Tests;

public sealed class PlannerTests
{
    internal static readonly DateTime Now = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>What the checker must know of a plan: the VM→move assignment, targets, and `after`, from the validated model.</summary>
    internal static GraphChecker.Expectation ExpectationOf(MigrationPlan plan, PlanSet model)
    {
        var scope = PlanScope.Create(plan, model);
        return new GraphChecker.Expectation(
            scope.Assignments.ToDictionary(a => a.Vm.Id, a => a.Move.Name, StringComparer.Ordinal),
            plan.Moves.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.First().To, StringComparer.Ordinal),
            plan.Moves.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.First().After], StringComparer.Ordinal));
    }

    internal static (ValidationResult Validation, PlanResult Result) PlanPath(string path, DateTime now)
    {
        var validation = PlanValidator.Validate([path], Repository.Root);
        Assert.False(validation.HasErrors, string.Join("\n", validation.Diagnostics));
        var plan = Assert.Single(validation.Model.Plans);
        return (validation, Planner.Plan(plan, validation.Model, now, validation.Digest));
    }

    [Theory]
    [MemberData(nameof(ExampleTests.Examples), MemberType = typeof(ExampleTests))]
    public void Example_graphs_pass_the_independent_checker(string example)
    {
        var (validation, result) = PlanPath($"plans/examples/{example}", Now);
        var graph = Assert.IsType<ExecutionGraph>(result.Graph);
        var problems = GraphChecker.Check(GraphWriter.Json(graph), ExpectationOf(validation.Model.Plans[0], validation.Model));
        Assert.Empty(problems);
        Assert.True(graph.LowerBoundSeconds > 0);
        Assert.Contains(graph.Steps, s => s.Kind == StepKind.Migrate);
    }

    [Theory]
    [MemberData(nameof(ExampleTests.Examples), MemberType = typeof(ExampleTests))]
    public void Example_graphs_are_byte_identical_across_runs_and_match_their_baselines(string example)
    {
        var first = GraphWriter.Json(PlanPath($"plans/examples/{example}", Now).Result.Graph!);
        var second = GraphWriter.Json(PlanPath($"plans/examples/{example}", Now).Result.Graph!);
        Assert.Equal(first, second);
        BaselineFiles.Check(Repository.PathOf("tests", "Compiler.Tests", "Graphs"), $"{example}.graph.json", first);
    }

    [Fact]
    public void The_anchor_is_the_later_of_notBefore_and_now()
    {
        var late = new DateTime(2027, 1, 20, 10, 30, 0, DateTimeKind.Utc);
        Assert.Equal(late, PlanPath("plans/examples/onprem-to-cloud", late).Result.Graph!.Start);
        Assert.Equal(new DateTime(2027, 1, 11, 0, 0, 0, DateTimeKind.Utc), PlanPath("plans/examples/onprem-to-cloud", Now).Result.Graph!.Start);
    }

    [Fact]
    public void Staged_moves_replicate_storage_before_the_cutover_and_stay_in_windows()
    {
        var graph = PlanPath("plans/examples/fra-to-sgp", Now).Result.Graph!;
        var db0 = graph.Steps.Where(s => s.Vm == "payments/db-0").ToList();
        Assert.Equal(
            [StepKind.Snapshot, StepKind.Migrate, StepKind.ReplicateStorage, StepKind.Migrate, StepKind.Verify],
            db0.OrderBy(s => s.PlannedStart).ThenBy(s => s.Kind == StepKind.Verify).Select(s => s.Kind));
        var cutover = db0.Single(s => s.Id == "migrate-payments.db-0");
        Assert.Equal(("fra-2", "sgp-1"), (cutover.From!.Cluster, cutover.To!.Cluster));
        // The year-end freeze (24 Dec - 2 Jan, +08:00) holds no migration.
        Assert.DoesNotContain(graph.Steps, s => s.Kind == StepKind.Migrate &&
            s.PlannedEnd > new DateTime(2026, 12, 23, 16, 0, 0, DateTimeKind.Utc) && s.PlannedStart < new DateTime(2027, 1, 1, 16, 0, 0, DateTimeKind.Utc));
    }

    [Fact]
    public void Groups_serialise_their_members()
    {
        var graph = PlanPath("plans/examples/onprem-to-cloud", Now).Result.Graph!;
        var cassandra = graph.Steps.Where(s => s.Kind == StepKind.Migrate && s.Vm!.StartsWith("cassandra/", StringComparison.Ordinal))
            .OrderBy(s => s.PlannedStart).ToList();
        Assert.Equal(3, cassandra.Count);
        Assert.True(cassandra[0].PlannedEnd <= cassandra[1].PlannedStart && cassandra[1].PlannedEnd <= cassandra[2].PlannedStart);
    }

    [Fact]
    public void A_VM_that_fits_no_window_is_a_diagnostic_naming_it()
    {
        using var dir = new TempDirectory();
        {
            // Staged over storage replication, and disks may only replicate inside windows: the initial
            // sync of 2 TiB at 2 Gbit/s takes about 2.4 hours, longer than the 1-hour window.
            var rwx = "        - {name: rwx, accessModes: [ReadWriteMany], reclaimPolicy: Retain, volumeBindingMode: WaitForFirstConsumer}";
            var text = File.ReadAllText(Repository.PathOf("plans", "invalid", "RC4006-vm-exceeds-window.yaml"));
            var first = text.IndexOf(rwx, StringComparison.Ordinal);
            text = (text[..first] + rwx[..^1] + ", replication: [{to: dst, volumeReplicationClass: rbd-mirror, rpo: 5m}]}" + text[(first + rwx.Length)..])
                .Replace("duration: 1m}", "duration: 1h}")
                .Replace("  # expect: RC4006", "")
                .Replace("size: 20Gi", "size: 2Ti")
                .Replace("    canary: 1\n", "    canary: 1\n    mode: Staged\n    replicateOutsideWindows: false\n");
            File.WriteAllText(dir.File("plan.yaml"), text);
            var validation = PlanValidator.Validate(["plan.yaml"], dir.Path);
            var d = Assert.Single(validation.Diagnostics, x => x.IsError);
            Assert.Equal("RC4006", d.Code);
            Assert.Contains("shop/vm-0", d.Message);
            Assert.Contains("2h26m", d.Message);
        }
    }

    /// <summary>
    /// The RC4006 fixture on a 10 Gbit/s link shared by perLink 4 (one share: 312.5 MB/s), with the
    /// given dirty rate and window; returns the VM's migrate step.
    /// </summary>
    private static GraphStep PlanSharedLink(string dirtyRate, string window)
    {
        using var dir = new TempDirectory();
        var text = File.ReadAllText(Repository.PathOf("plans", "invalid", "RC4006-vm-exceeds-window.yaml"))
            .Replace("duration: 1m}", $"duration: {window}}}")
            .Replace("  # expect: RC4006", "")
            .Replace("dirtyRate: 20Mi", $"dirtyRate: {dirtyRate}")
            .Replace("    bandwidthPerMigration: 2Gbps\n", "    bandwidthPerMigration: 10Gbps\n    parallelism: {perLink: 4}\n");
        File.WriteAllText(dir.File("plan.yaml"), text);
        var validation = PlanValidator.Validate(["plan.yaml"], dir.Path);
        Assert.False(validation.HasErrors, string.Join("\n", validation.Diagnostics));
        var result = Planner.Plan(validation.Model.Plans[0], validation.Model, Now, validation.Digest);
        Assert.True(result.Graph is not null, string.Join("\n", result.Diagnostics));
        return result.Graph.Steps.Single(s => s.Kind == StepKind.Migrate);
    }

    [Fact]
    public void An_idle_VM_takes_one_link_share_and_a_dirty_one_takes_enough_to_converge()
    {
        const long oneShare = 10_000_000_000 / 4 / 8;
        Assert.Equal(oneShare, PlanSharedLink("5Mi", "4h").BandwidthBps);

        // 400 MiB/s dirties faster than one share sends; more shares let pre-copy converge.
        var dirty = PlanSharedLink("400Mi", "4h");
        Assert.True(dirty.BandwidthBps > oneShare, $"{dirty.BandwidthBps}");
        Assert.True(dirty.Predicted.Converges);
    }

    [Fact]
    public void A_VM_takes_enough_link_shares_to_fit_its_window()
    {
        // At one share the 8 GiB VM and its 20 GiB disk take about 99 s; the window is one minute.
        var step = PlanSharedLink("20Mi", "1m");
        Assert.True(step.BandwidthBps > 10_000_000_000 / 4 / 8);
        Assert.True(step.Predicted.Seconds <= 60);
    }

    [Fact]
    public void Plan_command_writes_the_graph_files_and_prints_the_summary()
    {
        var dir = Directory.CreateTempSubdirectory("reconcile-out-");
        try
        {
            var output = new StringWriter();
            var exit = Program.Run(["plan", "plans/examples/node-drain", "--now", "2026-12-01T00:00:00Z", "--out", Path.Combine(dir.FullName, "build")],
                new IOContext(output, new StringWriter(), Repository.Root));
            Assert.Equal(0, exit);
            Assert.StartsWith("Plan ber-1-firmware-wave: 10 VMs", output.ToString());
            Assert.Equal([Reconcile.Cli.OutputDirectory.MarkerFile, "graph.dot", "graph.json", "graph.mmd", "summary.txt"],
                Directory.GetFiles(Path.Combine(dir.FullName, "build")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.StartsWith("digraph", File.ReadAllText(Path.Combine(dir.FullName, "build", "graph.dot")));
            Assert.StartsWith("flowchart LR", File.ReadAllText(Path.Combine(dir.FullName, "build", "graph.mmd")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Plan_command_writes_nothing_when_the_plan_has_errors()
    {
        var dir = Directory.CreateTempSubdirectory("reconcile-out-");
        try
        {
            var target = Path.Combine(dir.FullName, "build");
            Directory.CreateDirectory(target);
            File.WriteAllText(Path.Combine(target, "keep.txt"), "previous output");
            var output = new StringWriter();
            var exit = Program.Run(["plan", "plans/invalid/RC3002-latency-too-high-for-live.yaml", "--out", target],
                new IOContext(output, new StringWriter(), Repository.Root), () => Now);
            Assert.Equal(1, exit);
            Assert.Contains("error RC3002", output.ToString());
            Assert.Equal(["keep.txt"], Directory.GetFiles(target).Select(Path.GetFileName));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Plan_command_uses_the_clock_when_now_is_not_given_and_rejects_a_bad_now()
    {
        var output = new StringWriter();
        Assert.Equal(0, Program.Run(["plan", "plans/examples/node-drain", "--format", "json"], new IOContext(output, new StringWriter(), Repository.Root),
            () => new DateTime(2027, 2, 3, 4, 5, 6, DateTimeKind.Utc)));
        Assert.Contains("\"start\": \"2027-02-03T04:05:00Z\"", output.ToString());
        var error = new StringWriter();
        Assert.Equal(2, Program.Run(["plan", "plans/examples/node-drain", "--now", "tomorrow"], new IOContext(new StringWriter(), error, Repository.Root)));
        Assert.Contains("--now", error.ToString());
    }
}
