using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Autorest;
using Reconcile.Cli.Simulation;
using Reconcile.Compiler;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;
using Reconcile.Simulator.Api;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// A campaign's progress fits in its MigrationRun however large it is: etcd refuses an object over 1.5 MiB
/// (the simulator refuses it too, as the API server passes etcd's error on), so the status lists only the
/// steps with something to say and compresses the list when it is long (RunStepRecords).
/// </summary>
public sealed class RunStatusSizeTests
{
    private static readonly DateTime Start = new(2027, 3, 1, 23, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task The_simulator_refuses_an_object_over_etcds_limit_as_the_API_server_does()
    {
        await using var sim = await RunningSimulator.Start("node-drain");
        var gateway = KubernetesGateway.FromKubeconfig("ber-1", sim.Kubeconfig, "ber-1");
        JsonObject ConfigMap(string name, int bytes) => new()
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["data"] = new JsonObject { ["blob"] = new string('x', bytes) },
        };

        await gateway.ApplyAsync(ConfigMap("fits", ClusterStore.MaxObjectBytes - 4096), CancellationToken.None);
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => gateway.ApplyAsync(ConfigMap("too-large", ClusterStore.MaxObjectBytes), CancellationToken.None));
        Assert.Equal(HttpStatusCode.InternalServerError, refused.Response.StatusCode);
        Assert.Contains("etcdserver: request is too large", refused.Response.Content, StringComparison.Ordinal);
        Assert.Null(await gateway.GetAsync("v1", "ConfigMap", "default", "too-large", CancellationToken.None));
    }

    /// <summary>The steps of a 10,000-VM campaign (a migrate and a verify step per VM, a gate per stage), at a given point.</summary>
    private static Dictionary<string, StepState> Campaign(Func<int, string, StepState> at)
    {
        var state = new Dictionary<string, StepState>(StringComparer.Ordinal);
        for (var vm = 0; vm < 10_000; vm++)
        {
            var stage = $"s{vm / 500 + 1}";
            foreach (var kind in new[] { "migrate", "verify" })
            {
                var id = $"{kind}-payments-{vm % 20:00}.vm-{vm:00000}";
                state[id] = at(vm, id) with { Stage = stage, Kind = kind };
            }
        }

        for (var gate = 1; gate <= 20; gate++)
        {
            state[$"gate-s{gate}"] = new StepState($"gate-s{gate}", StepPhase.Pending, Stage: $"s{gate}", Kind: "gate");
        }

        return state;
    }

    public static TheoryData<string> Points() => new() { "before the start", "half through", "finished", "every step retried with a message" };

    [Theory]
    [MemberData(nameof(Points))]
    public void A_ten_thousand_VM_campaigns_status_stays_far_below_etcds_limit_and_reads_back_the_same(string point)
    {
        var state = Campaign((vm, id) => point switch
        {
            "before the start" => new StepState(id, StepPhase.Pending),
            "half through" when vm < 5_000 => new StepState(id, StepPhase.Succeeded, 1, Start.AddMinutes(vm), Start.AddMinutes(vm + 7)),
            "half through" when vm < 5_010 => new StepState(id, StepPhase.Running, 1, Start.AddMinutes(vm)),
            "half through" => new StepState(id, StepPhase.Pending),
            "finished" => new StepState(id, StepPhase.Succeeded, 1, Start.AddMinutes(vm), Start.AddMinutes(vm + 7)),
            _ => new StepState(id, StepPhase.Succeeded, 3, Start.AddMinutes(vm), Start.AddMinutes(vm + 9), Message: $"attempt 2 failed: migration of payments-{vm % 20:00}/vm-{vm:00000} timed out"),
        });
        var status = new JsonObject { ["stages"] = RunStepRecords.Stages(Enumerable.Range(1, 20).Select(s => $"s{s}"), state) };
        RunStepRecords.Write(status, state);

        var bytes = Encoding.UTF8.GetByteCount(status.ToJsonString());
        Assert.True(bytes < ClusterStore.MaxObjectBytes / 2, $"{point}: the status is {bytes} bytes");
        Assert.Equal(RunStepRecords.ListedInOrder(state), RunStepRecords.Read(status));
        Assert.Equal(point == "before the start" ? 0 : state.Values.Count(RunStepRecords.Listed), RunStepRecords.Read(status).Count);
        var stages = RunStepRecords.ReadStages(status);
        Assert.Equal(20, stages.Count);
        Assert.All(stages, s => Assert.Equal(1_000, s.Steps));
        Assert.Equal(state.Values.Count(s => s.Kind != "gate" && s.IsDone), stages.Sum(s => s.Done));
    }

    [Fact]
    public void A_small_campaigns_steps_stay_a_readable_list()
    {
        var state = new Dictionary<string, StepState>(StringComparer.Ordinal)
        {
            ["migrate-a.b"] = new("migrate-a.b", StepPhase.Running, 1, Start, Stage: "s1", Kind: "migrate"),
            ["verify-a.b"] = new("verify-a.b", StepPhase.Pending, Stage: "s1", Kind: "verify"),
        };
        var status = new JsonObject();
        RunStepRecords.Write(status, state);

        Assert.Equal("migrate-a.b", Assert.Single(status["steps"]!.AsArray())!["id"]!.GetValue<string>());
        Assert.True(status.ContainsKey("compressedSteps"));
        Assert.Null(status["compressedSteps"]);
    }

    [Fact]
    public async Task A_restarted_reconciler_carries_on_from_compressed_steps_and_writes_them_back_plain()
    {
        var campaign = NodeDrain();
        await using var sim = await RunningSimulator.Start("node-drain");
        var gateways = sim.Gateways();
        var first = new CampaignExecutor(campaign, gateways, "ber-1", () => sim.Host.World.Clock.Now);
        await first.ApplyStaticAsync(CancellationToken.None);

        // As a large campaign's status holds them: the first migration done, in the compressed form.
        var done = campaign.StartOrder.First(s => s.Kind == Compiler.Planning.StepKind.Migrate && s.DependsOn.Count == 0);
        var finished = sim.Host.World.Clock.Now.AddMinutes(-5);
        var entries = new JsonArray(new StepState(done.Id, StepPhase.Succeeded, 1, finished.AddMinutes(-10), finished, Stage: done.Stage, Kind: "migrate").ToJson());
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(entries.ToJsonString()));
        }

        await WriteStatus(gateways["ber-1"], first.RunName, new JsonObject { ["compressedSteps"] = Convert.ToBase64String(buffer.ToArray()) });

        var restarted = new CampaignExecutor(campaign, gateways, "ber-1", () => sim.Host.World.Clock.Now);
        var pass = await restarted.PassAsync(CancellationToken.None);

        Assert.Equal(new StepState(done.Id, StepPhase.Succeeded, 1, finished.AddMinutes(-10), finished, Stage: done.Stage, Kind: "migrate"), pass.Steps.Single(s => s.Id == done.Id));
        Assert.Contains(pass.Steps, s => s.Phase == StepPhase.Running);
        var run = await ReadRun(gateways["ber-1"], first.RunName);
        Assert.Null(run!["status"]!["compressedSteps"]);
        Assert.Equal(RunStepRecords.Read(run["status"]), pass.Steps.Where(RunStepRecords.Listed));
        Assert.Equal(campaign.Graph.Stages.Select(s => s.Id).Where(id => campaign.Graph.Steps.Any(s => s.Stage == id && s.Kind != Compiler.Planning.StepKind.Gate)),
            RunStepRecords.ReadStages(run["status"]).Select(s => s.Name));
    }

    [Fact]
    public async Task A_status_someone_else_wrote_is_read_afresh_by_a_running_reconciler()
    {
        var campaign = NodeDrain();
        await using var sim = await RunningSimulator.Start("node-drain");
        var gateways = sim.Gateways();
        var executor = new CampaignExecutor(campaign, gateways, "ber-1", () => sim.Host.World.Clock.Now);
        var first = await executor.PassAsync(CancellationToken.None);
        await executor.PassAsync(CancellationToken.None);

        // Another writer (a second process, a hand edit) records a step the executor has as pending.
        var pending = first.Steps.Last(s => s.Phase == StepPhase.Pending && s.Kind == "verify");
        var run = await ReadRun(gateways["ber-1"], executor.RunName);
        var steps = RunStepRecords.Read(run!["status"]).Append(pending with { Phase = StepPhase.Skipped, Message = "skipped by hand" })
            .ToDictionary(s => s.Id, StringComparer.Ordinal);
        var status = new JsonObject();
        RunStepRecords.Write(status, steps);
        await WriteStatus(gateways["ber-1"], executor.RunName, status);

        var next = await executor.PassAsync(CancellationToken.None);
        Assert.Equal(StepPhase.Skipped, next.Steps.Single(s => s.Id == pending.Id).Phase);
        Assert.Equal("skipped by hand", next.Steps.Single(s => s.Id == pending.Id).Message);
    }

    private static CompiledCampaign NodeDrain()
    {
        var result = Compilation.Run(FrozenWorld.Load("node-drain"), new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), new TemplateSet(null, Repository.Root));
        return CompiledCampaign.Of(result, Assert.Single(result.Graphs).Plan);
    }

    private static Task<JsonObject?> ReadRun(IClusterGateway home, string runName) =>
        home.GetAsync(CampaignExecutor.RunApiVersion, CampaignExecutor.RunKind, CampaignExecutor.RunNamespace, runName, CancellationToken.None);

    /// <summary>Writes the run's status as another writer would (a merge patch of the status subresource).</summary>
    private static Task<JsonObject> WriteStatus(IClusterGateway home, string runName, JsonObject status) => home.ApplyStatusAsync(new JsonObject
    {
        ["apiVersion"] = CampaignExecutor.RunApiVersion,
        ["kind"] = CampaignExecutor.RunKind,
        ["metadata"] = new JsonObject { ["name"] = runName, ["namespace"] = CampaignExecutor.RunNamespace },
        ["status"] = status,
    }, CancellationToken.None);
}
