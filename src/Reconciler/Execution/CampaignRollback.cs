using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Planning;
using Reconcile.Reconciler.Execution.Drivers;

namespace Reconcile.Reconciler.Execution;

/// <summary>
/// strategy.onFailure: Rollback. Once a step has failed for good, nothing new starts and every migration
/// that already finished is reversed (RollbackDriver), newest first, one hop at a time per VM. A reversal
/// is a migration too: it starts only inside an open window with room for the forward step's predicted
/// duration and within the graph's cluster, node, link and group limits, and a failed one is retried with
/// backoff (strategy.retries). Each reversal is a step "rollback-&lt;step id&gt;" in the MigrationRun, so a
/// restart carries on where it stopped.
/// </summary>
internal sealed class CampaignRollback(CompiledCampaign campaign, RollbackDriver driver, Backoff backoff)
{
    private readonly StepAdmission admission = new(campaign);

    public async Task PassAsync(Dictionary<string, StepState> state, DateTime now, PassEvents events, Func<Task> persist, CancellationToken cancel)
    {
        var migrated = campaign.Graph.Steps
            .Where(s => s.Kind == StepKind.Migrate && state[s.Id].Phase == StepPhase.Succeeded)
            .OrderByDescending(s => state[s.Id].EndTime).ThenByDescending(s => s.Id, StringComparer.Ordinal)
            .ToList();
        foreach (var step in migrated.Where(s => state.TryGetValue(Id(s), out var r) && r.Phase == StepPhase.Running))
        {
            state[Id(step)] = await ObserveAsync(step, state[Id(step)], now, events, cancel);
        }

        var running = migrated.Where(s => state.TryGetValue(Id(s), out var r) && r.Phase == StepPhase.Running).ToList();
        foreach (var step in migrated)
        {
            var id = Id(step);
            var known = state.GetValueOrDefault(id);
            if (known is { Phase: not StepPhase.Pending } || known?.RetryAfter > now)
            {
                continue;
            }

            // One hop at a time per VM: its later hops go back first.
            if (migrated.Any(m => m.Vm == step.Vm && state[m.Id].EndTime > state[step.Id].EndTime &&
                                  (!state.TryGetValue(Id(m), out var later) || later.Phase != StepPhase.Succeeded)))
            {
                continue;
            }

            if (!admission.LimitsAllow(step, running) || !admission.WindowFits(step, now))
            {
                continue;
            }

            running.Add(step);
            var attempts = (known?.Attempts ?? 0) + 1;
            state[id] = new StepState(id, StepPhase.Running, attempts, now, Stage: "rollback", Kind: "rollback");
            await persist();
            await driver.StartAsync(step, cancel);
            events.Add("StepStarted", false, $"started {id} (migrating {step.Vm} back to {step.From!.Cluster}{(step.From.Node is { } n ? "/" + n : "")}, attempt {attempts})");
        }
    }

    private static string Id(GraphStep step) => Conventions.RollbackPrefix + step.Id;

    private async Task<StepState> ObserveAsync(GraphStep step, StepState current, DateTime now, PassEvents events, CancellationToken cancel)
    {
        var (outcome, reason) = await driver.ObserveAsync(step, cancel);
        switch (outcome)
        {
            case StepOutcome.Succeeded:
                events.Add("StepFinished", false, $"finished {current.Id}");
                return current with { Phase = StepPhase.Succeeded, EndTime = now };
            case StepOutcome.Missing:
                await driver.StartAsync(step, cancel);
                return current;
            case StepOutcome.Failed:
                await driver.CleanUpAsync(step, cancel);
                if (current.Attempts <= campaign.Policy.Retries)
                {
                    var wait = backoff.After(current.Attempts);
                    events.Add("StepFailed", true, $"{current.Id} failed ({reason}); retrying after {wait.TotalSeconds} s");
                    return current with { Phase = StepPhase.Pending, RetryAfter = now + wait, Message = $"attempt {current.Attempts} failed: {reason}" };
                }

                events.Add("StepFailed", true, $"{current.Id} failed ({reason}); {step.Vm} stays in {step.To!.Cluster}");
                return current with { Phase = StepPhase.Failed, EndTime = now, Message = reason };
            default:
                return current;
        }
    }
}
