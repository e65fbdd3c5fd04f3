using System.CommandLine;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Cli.Commands;

/// <summary>What an operator's command asks of a campaign.</summary>
public enum RunVerb
{
    Suspend,
    Resume,
    Rollback,
    Retry,
}

/// <summary>
/// `reconcile suspend|resume|rollback PLAN`: set a field of the MigrationRun's spec, as `flux suspend` sets a
/// Kustomization's. suspend and resume set spec.suspend (a suspended run starts nothing new; what runs
/// finishes); rollback sets spec.rollback (nothing new starts, and the finished migrations are reversed,
/// newest first, as onFailure: Rollback does). The field is patched under its own field manager
/// (<see cref="FieldManager"/>), which the reconciler's server-side apply of the run leaves alone, so it
/// holds across every new revision and restart; only a plan that itself says `suspend: true` takes that
/// field over (and resume then says so).
/// </summary>
public sealed class RunPatchCommand(IOContext io, RunVerb verb, Func<DateTime> clock)
{
    /// <summary>The field manager of operators' commands on a run.</summary>
    public const string FieldManager = "reconcile-cli";

    public static Command CreateCommand(IOContext io, RunVerb verb, Func<DateTime> clock)
    {
        var plan = new Argument<string>("plan") { Description = "The MigrationPlan (or its MigrationRun's name)." };
        var steps = new Argument<string[]>("step") { Description = "Failed steps to run again (ids as reconcile status shows them).", Arity = ArgumentArity.OneOrMore };
        var cluster = new RunClusterOptions();
        var command = verb switch
        {
            RunVerb.Suspend => new Command("suspend", "Suspend a plan's MigrationRun: nothing new starts; running steps finish.") { plan },
            RunVerb.Resume => new Command("resume", "Resume a suspended MigrationRun.") { plan },
            RunVerb.Rollback => new Command("rollback", "Roll a plan's campaign back: nothing new starts; finished migrations are reversed, newest first.") { plan },
            _ => new Command("retry", "Run failed steps of a plan's MigrationRun again (attempts reset; the steps skipped behind them too).") { plan, steps },
        };
        cluster.AddTo(command);
        command.SetAction((parse, cancel) => cluster.Resolve(parse, io) is { } target
            ? new RunPatchCommand(io, verb, clock).RunAsync(target, parse.GetValue(plan)!, verb == RunVerb.Retry ? parse.GetValue(steps) ?? [] : [], cancel)
            : Task.FromResult(ExitCodes.Usage));
        return command;
    }

    public async Task<int> RunAsync(RunClusterOptions.Target target, string plan, IReadOnlyList<string> steps, CancellationToken cancel)
    {
        var name = KubernetesName.Of(plan);
        try
        {
            if (await target.Gateway.GetAsync(CampaignExecutor.RunApiVersion, CampaignExecutor.RunKind, target.Namespace, name, cancel) is not { } run)
            {
                io.Error.WriteLine($"reconcile: no MigrationRun {name} in {target.Namespace} on {target.Context} (is the plan compiled and the reconciler running there?)");
                return ExitCodes.Errors;
            }

            if (verb == RunVerb.Retry && NotFailed(run, steps) is { Count: > 0 } notFailed)
            {
                io.Error.WriteLine($"reconcile: {string.Join("; ", notFailed)}: only failed or cancelled steps are retried");
                return ExitCodes.Errors;
            }

            var spec = verb switch
            {
                RunVerb.Rollback => new JsonObject { ["rollback"] = true },
                RunVerb.Retry => new JsonObject
                {
                    ["retry"] = new JsonObject
                    {
                        ["requestedAt"] = clock().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
                        ["steps"] = new JsonArray([.. steps.Select(s => (JsonNode)s)]),
                    },
                },
                _ => new JsonObject { ["suspend"] = verb == RunVerb.Suspend },
            };
            await target.Gateway.MergePatchAsync(CampaignExecutor.RunApiVersion, CampaignExecutor.RunKind, target.Namespace, name, new JsonObject { ["spec"] = spec }, FieldManager, cancel);
            io.Out.WriteLine(verb switch
            {
                RunVerb.Suspend => $"migrationrun/{name} suspended: nothing new starts, running steps finish",
                RunVerb.Resume => $"migrationrun/{name} resumed",
                RunVerb.Retry => $"migrationrun/{name}: retry of {string.Join(", ", steps)} requested; the reconciler's next pass runs them again",
                _ => $"migrationrun/{name} rolling back: nothing new starts, finished migrations are reversed newest first (reconcile status follows it)",
            });
            // Read before the patch: the patch takes the field over from the reconciler until its next apply.
            if (verb == RunVerb.Resume && PlanSuspends(run))
            {
                io.Error.WriteLine($"reconcile: plan {plan} itself says suspend: true; the reconciler suspends the run again until that changes in Git");
                return ExitCodes.Errors;
            }

            return ExitCodes.Success;
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            io.Error.WriteLine($"reconcile: cannot {verb.ToString().ToLowerInvariant()} {name} on {target.Context}: {e.Message}");
            return ExitCodes.Errors;
        }
    }

    /// <summary>Each named step that is not failed or cancelled, with what it is.</summary>
    private static List<string> NotFailed(JsonObject run, IReadOnlyList<string> steps)
    {
        var recorded = RunStepRecords.Read(run["status"]).ToDictionary(s => s.Id, StringComparer.Ordinal);
        return [.. steps.Where(id => recorded.GetValueOrDefault(id)?.Phase is not (StepPhase.Failed or StepPhase.Cancelled))
            .Select(id => recorded.TryGetValue(id, out var s) ? $"{id} is {s.Phase}" : $"{id} is not a step the run has recorded (pending or unknown)")];
    }

    /// <summary>Whether the reconciler's apply owns spec.suspend: the compiled run sets it only when the plan suspends.</summary>
    private static bool PlanSuspends(JsonObject run) =>
        run["metadata"]?["managedFields"] is JsonArray fields && fields.Any(f =>
            f?["manager"]?.GetValue<string>() == Reconciler.Clusters.KubernetesGateway.FieldManager && f["operation"]?.GetValue<string>() == "Apply" &&
            f["fieldsV1"]?["f:spec"]?["f:suspend"] is not null);
}
