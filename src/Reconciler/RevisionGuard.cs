using System.Text.Json.Nodes;
using Reconcile.Compiler;
using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Planning;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Reconciler;

/// <summary>
/// What a new revision may not do to campaigns already under way (their MigrationRuns in the cluster),
/// as Argo CD refuses to sync an application to empty unless it allows it: a plan whose campaign has
/// work left may not disappear (suspend it first, and remove it once nothing runs), may not select no
/// VM unless it says `spec.allowEmpty: true`, and no revision may drop a step that is running (a VM in
/// flight is never forgotten).
/// </summary>
internal static class RevisionGuard
{
    /// <summary>Why the revision may not be applied (null when it may), and the plans it removes whose campaigns may go.</summary>
    public sealed record Verdict(string? Problem, IReadOnlyList<(string Cluster, string Plan, string Run)> Departed);

    /// <summary>Checks the MigrationRuns in <paramref name="home"/> (--home), else in every cluster (each plan's run lives where its first step does).</summary>
    public static async Task<Verdict> CheckAsync(CompilationResult compiled, IReadOnlyDictionary<string, IClusterGateway> gateways, string? home, CancellationToken cancel)
    {
        var departed = new List<(string Cluster, string Plan, string Run)>();
        var runs = new List<(string Cluster, JsonObject Run)>();
        foreach (var (cluster, gateway) in gateways.Where(g => home is null || g.Key == home).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            runs.AddRange((await gateway.ListAsync(Conventions.RunApiVersion, Conventions.RunKind, Conventions.RunNamespace, $"{Conventions.ManagedByLabel}={Conventions.ManagedBy}", cancel)).Select(r => (cluster, r)));
        }

        foreach (var (cluster, run) in runs.OrderBy(r => r.Run["metadata"]!["name"]!.GetValue<string>(), StringComparer.Ordinal))
        {
            var name = run["spec"]?["plan"]?.GetValue<string>() ?? run["metadata"]!["name"]!.GetValue<string>();
            var steps = RunStepRecords.Read(run["status"]).Where(s => !Conventions.IsRollback(s.Id)).ToList();
            var running = steps.Where(s => s.Phase == StepPhase.Running).Select(s => s.Id).ToList();
            // Steps the status does not list are pending (RunStepRecords); spec.steps says how many the graph has.
            var total = RunStepRecords.GraphSteps(run) ?? steps.Count;
            var left = total - steps.Count(s => s.Phase is not (StepPhase.Pending or StepPhase.Running));
            var plan = compiled.Plans.FirstOrDefault(p => p.Name == name);
            if (plan is null)
            {
                var suspended = run["spec"]?["suspend"]?.GetValue<bool>() == true;
                if (left > 0 && (running.Count > 0 || !suspended))
                {
                    return new Verdict($"plan {name} is gone from it while its campaign has {left} step(s) left ({running.Count} running); suspend the plan (spec.suspend: true) and remove it once nothing runs", []);
                }

                departed.Add((cluster, name, run["metadata"]!["name"]!.GetValue<string>()));
                continue;
            }

            if (left == 0)
            {
                continue;
            }

            if (!plan.Graph.Steps.Any(s => s.Kind == StepKind.Migrate) && !plan.Policy.AllowEmpty)
            {
                return new Verdict($"plan {name} selects no VM in it while its campaign has {left} step(s) left; if that is meant, say spec.allowEmpty: true", []);
            }

            var ids = plan.Graph.Steps.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            if (running.FirstOrDefault(id => !ids.Contains(id)) is { } dropped)
            {
                return new Verdict($"plan {name} no longer has step {dropped}, which is running; a VM in flight is never dropped: wait until it has finished", []);
            }
        }

        return new Verdict(null, departed);
    }
}
