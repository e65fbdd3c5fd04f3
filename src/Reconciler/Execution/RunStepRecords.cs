using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Facts;

namespace Reconcile.Reconciler.Execution;

/// <summary>One stage's steps by phase, as the run's status sums them (gates aside).</summary>
public sealed record StageProgress(string Name, int Steps, int Pending, int Running, int Done, int Failed)
{
    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["steps"] = Steps,
        ["pending"] = Pending,
        ["running"] = Running,
        ["done"] = Done,
        ["failed"] = Failed,
    };

    public static StageProgress FromJson(JsonNode stage) => new(
        stage["name"]!.GetValue<string>(), Count(stage["steps"]), Count(stage["pending"]), Count(stage["running"]), Count(stage["done"]), Count(stage["failed"]));

    private static int Count(JsonNode? value) => value is JsonValue v && v.TryGetValue<long>(out var l) ? (int)l : value?.GetValue<int>() ?? 0;
}

/// <summary>
/// How the steps' states are kept in the MigrationRun's status so that a campaign of any size fits in one
/// object: etcd refuses a write over 1.5 MiB (the simulator enforces it, ClusterStore.MaxObjectBytes), and a
/// status listing all 20,000 steps of a 10,000-VM campaign is 2.5 MiB.
/// - Only steps with something to say are listed: a step the status does not list is Pending and was never
///   tried (the graph in spec says which steps there are; spec.steps how many).
/// - `stages` sums every stage's steps by phase, for `kubectl get -o yaml` and `reconcile status`.
/// - When the listed steps' JSON exceeds <see cref="CompressAbove"/>, it is kept gzip-compressed and base64-
///   encoded in `compressedSteps` instead of `steps`, as Argo Workflows keeps `status.compressedNodes`.
/// Writes are JSON merge patches, so the form not written is set to null (removed).
/// </summary>
public static class RunStepRecords
{
    public const int CompressAbove = 256 * 1024;

    /// <summary>Whether the status lists the step: anything but Pending and never tried.</summary>
    public static bool Listed(StepState step) =>
        step is not { Phase: StepPhase.Pending, Attempts: 0, StartTime: null, EndTime: null, RetryAfter: null, Message: null };

    /// <summary>The listed steps in id order.</summary>
    public static IEnumerable<StepState> ListedInOrder(IReadOnlyDictionary<string, StepState> state) =>
        state.Values.Where(Listed).OrderBy(s => s.Id, StringComparer.Ordinal);

    /// <summary>Sets `steps` or `compressedSteps` (the other null) on <paramref name="status"/>.</summary>
    public static void Write(JsonObject status, IReadOnlyDictionary<string, StepState> state)
    {
        var steps = new JsonArray([.. ListedInOrder(state).Select(s => (JsonNode)s.ToJson())]);
        var json = steps.ToJsonString();
        if (Encoding.UTF8.GetByteCount(json) <= CompressAbove)
        {
            status["steps"] = steps;
            status["compressedSteps"] = null;
            return;
        }

        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }

        status["steps"] = null;
        status["compressedSteps"] = Convert.ToBase64String(buffer.ToArray());
    }

    /// <summary>The listed steps of a run's status, in either form; a status in neither lists none.</summary>
    public static IReadOnlyList<StepState> Read(JsonNode? status)
    {
        if (status?["compressedSteps"]?.GetValue<string>() is { Length: > 0 } compressed)
        {
            using var gzip = new GZipStream(new MemoryStream(Convert.FromBase64String(compressed)), CompressionMode.Decompress);
            return [.. JsonNode.Parse(gzip)!.AsArray().Select(s => StepState.FromJson(s!))];
        }

        return [.. (status?["steps"] as JsonArray ?? []).Select(s => StepState.FromJson(s!))];
    }

    /// <summary>Every stage's steps by phase, stages in the order the graph lists them, gates and rollback steps aside.</summary>
    public static JsonArray Stages(IEnumerable<string> stageOrder, IReadOnlyDictionary<string, StepState> state)
    {
        // One walk of the states, summing per stage as it goes (this runs on every pass).
        var sums = new Dictionary<string, (int Steps, int Pending, int Running, int Done, int Failed)>(StringComparer.Ordinal);
        foreach (var s in state.Values)
        {
            if (s.Kind == "gate" || Conventions.IsRollback(s.Id))
            {
                continue;
            }

            ref var sum = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(sums, s.Stage ?? "-", out _);
            sum = (sum.Steps + 1, sum.Pending + (s.Phase == StepPhase.Pending ? 1 : 0), sum.Running + (s.Phase == StepPhase.Running ? 1 : 0),
                sum.Done + (s.IsDone ? 1 : 0), sum.Failed + (s.Phase == StepPhase.Failed ? 1 : 0));
        }

        return new([.. stageOrder.Distinct().Where(sums.ContainsKey).Select(stage => (JsonNode)new StageProgress(stage, sums[stage].Steps,
            sums[stage].Pending, sums[stage].Running, sums[stage].Done, sums[stage].Failed).ToJson())]);
    }

    /// <summary>How many steps the run's graph has (spec.steps); null when the run does not say.</summary>
    public static int? GraphSteps(JsonObject run) => run["spec"]?["steps"] is JsonValue count && count.TryGetValue<long>(out var n) ? (int)n : null;

    /// <summary>The stage sums of a run's status.</summary>
    public static IReadOnlyList<StageProgress> ReadStages(JsonNode? status) =>
        [.. (status?["stages"] as JsonArray ?? []).OfType<JsonNode>().Select(StageProgress.FromJson)];
}
