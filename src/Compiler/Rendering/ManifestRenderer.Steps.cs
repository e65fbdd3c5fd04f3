using System.Collections.Immutable;
using Reconcile.Compiler.Execution;
using Reconcile.Compiler.Facts;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Semantics;
using Scriban.Runtime;

namespace Reconcile.Compiler.Rendering;

/// <summary>
/// The step files: DIR/&lt;cluster&gt;/steps/&lt;step-id&gt;.yaml, applied by the reconciler when the step
/// starts, and DIR/&lt;cluster&gt;/rollback/&lt;step-id&gt;.yaml, applied if the step's migration is reversed.
/// Each object is recorded with its role in the step's manifest, which the reconciler executes.
/// </summary>
public sealed partial class ManifestRenderer
{
    private sealed record Part(ObjectRole Role, string Template, string Variable, ScriptObject Data);

    private Dictionary<string, StepManifest> RenderSteps(ExecutionGraph graph, PlanScope scope, IFileSink files)
    {
        var plan = scope.Plan;
        var vms = scope.Vms.GroupBy(v => v.Id).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var moves = plan.Moves.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        // Steps render independently, in parallel; each file goes to the sink as it is complete.
        var rendered = InParallel(graph.Steps, (worker, step) => step.Kind is StepKind.Verify or StepKind.Gate
            ? new StepManifest(step.Id, step.Kind == StepKind.Verify ? StepAction.Verify : StepAction.Gate, [], [], null)
            : worker.RenderStep(scope, files, step, vms[step.Vm!], moves[step.Move!]));
        var manifests = new Dictionary<string, StepManifest>(StringComparer.Ordinal);
        foreach (var manifest in rendered)
        {
            manifests[manifest.StepId] = manifest;
        }

        return manifests;
    }

    /// <summary>
    /// <paramref name="render"/> of every item, in parallel over contiguous ranges, each range on a worker of
    /// its own (parsed templates and a context are not shared between threads); results in item order and the
    /// workers' diagnostics merged in range order, so the output does not depend on timing.
    /// </summary>
    private T[] InParallel<TItem, T>(IReadOnlyList<TItem> items, Func<ManifestRenderer, TItem, T> render)
    {
        var results = new T[items.Count];
        var ranges = Math.Clamp(items.Count / 64, 1, Environment.ProcessorCount * 4);
        var workers = new ManifestRenderer[ranges];
        Parallel.For(0, ranges, range =>
        {
            var worker = workers[range] = Worker();
            for (var i = range * items.Count / ranges; i < (range + 1) * items.Count / ranges; i++)
            {
                results[i] = render(worker, items[i]);
            }
        });
        foreach (var worker in workers)
        {
            diagnostics.AddRange(worker.diagnostics);
        }

        return results;
    }

    private StepManifest RenderStep(PlanScope scope, IFileSink files, GraphStep step, Vm vm, Move move)
    {
        var plan = scope.Plan;
        var name = Conventions.ObjectName(plan.Name, step.Id);
        var labels = StepLabels(plan.Name, move.Name, step.Id);
        var from = step.From!.Cluster;
        var to = step.To?.Cluster ?? from;
        var (fromNs, toNs) = (Conventions.NamespaceOn(vm, move, from), Conventions.NamespaceOn(vm, move, to));
        var objects = new List<ManifestObject>();
        var rollback = new List<ManifestObject>();
        void Add(string cluster, params Part[] parts) => AddStepFile(files, Conventions.StepFile(cluster, step.Id), cluster, parts, objects);
        void Back(string cluster, params Part[] parts) => AddStepFile(files, Conventions.RollbackFile(cluster, step.Id), cluster, parts, rollback);
        var rollbackName = Conventions.ObjectName(plan.Name, Conventions.RollbackPrefix + step.Id);
        var rollbackLabels = StepLabels(plan.Name, move.Name, Conventions.RollbackPrefix + step.Id);
        ScriptObject RunStrategy(string ns, string strategy) => new() { ["name"] = vm.Name, ["namespace"] = ns, ["run_strategy"] = strategy };

        switch (step.Kind)
        {
            case StepKind.Snapshot:
                Add(from, new Part(ObjectRole.Snapshot, "snapshot.yaml.sbn", "snapshot", new ScriptObject { ["name"] = name, ["namespace"] = fromNs, ["labels"] = Pairs(labels), ["vm"] = vm.Name }));
                return Manifest(StepAction.Snapshot);
            case StepKind.ReplicateStorage:
                // A csi-addons VolumeReplication per disk: primary on the cut-over source, secondary on the target.
                Add(from, [.. Replicas(ObjectRole.SourceReplica, scope, vm, move, from, to, fromNs, labels, "primary", patch: false)]);
                Add(to, [.. Replicas(ObjectRole.TargetReplica, scope, vm, move, from, to, toNs, labels, "secondary", patch: false)]);
                return Manifest(StepAction.Replicate);
        }

        if (from == to)
        {
            Add(from, new Part(ObjectRole.LocalMigration, "vmim.yaml.sbn", "migration", Migration(name, fromNs, vm.Name, labels, "local", null, Placement.NodeSelector(scope, vm, move, live: true))));
            var home = step.From.Node is { } node ? new Dictionary<string, string> { ["kubernetes.io/hostname"] = node } : NoNodeSelector;
            Back(from, new Part(ObjectRole.RollbackMigration, "vmim.yaml.sbn", "migration", Migration(rollbackName, fromNs, vm.Name, rollbackLabels, "local", null, home)));
            return Manifest(StepAction.LocalMigration);
        }

        if (scope.LiveHops(move).Contains((from, to)))
        {
            Add(to,
                new Part(ObjectRole.ReceiverVm, "receiver-vm.yaml.sbn", "vm", ReceiverVm(scope, vm, move, from, to, toNs)),
                new Part(ObjectRole.ReceiveMigration, "vmim.yaml.sbn", "migration", Migration(name, toNs, vm.Name, labels, "receive", null, NoNodeSelector)));
            Add(from, new Part(ObjectRole.SenderMigration, "vmim.yaml.sbn", "migration", Migration(name, fromNs, vm.Name, labels, "send", SyncAddress(scope, to), NoNodeSelector)));
            // Back: the original VM waits as receiver again, and the running one is sent to it.
            Back(from,
                new Part(ObjectRole.RollbackReceiverVm, "vm-run-strategy.yaml.sbn", "target", RunStrategy(fromNs, "WaitAsReceiver")),
                new Part(ObjectRole.RollbackReceiveMigration, "vmim.yaml.sbn", "migration", Migration(rollbackName, fromNs, vm.Name, rollbackLabels, "receive", null, NoNodeSelector)));
            Back(to, new Part(ObjectRole.RollbackSenderMigration, "vmim.yaml.sbn", "migration", Migration(rollbackName, toNs, vm.Name, rollbackLabels, "send", SyncAddress(scope, from), NoNodeSelector)));
            return Manifest(StepAction.LiveMigration);
        }

        if (scope.ModeOf(move) == MoveMode.Staged)
        {
            // Staged cut-over (S28): stop the VM, demote its replicas (the last changes go across), promote
            // the target's, and start the VM on them. The reconciler gates each part on the one before.
            Add(from, [new Part(ObjectRole.SourceHalt, "vm-run-strategy.yaml.sbn", "target", RunStrategy(fromNs, "Halted")),
                .. Replicas(ObjectRole.SourceReplica, scope, vm, move, from, to, fromNs, labels, "secondary", patch: true)]);
            Add(to, [.. Replicas(ObjectRole.TargetReplica, scope, vm, move, from, to, toNs, labels, "primary", patch: true),
                new Part(ObjectRole.ReceiverVm, "receiver-vm.yaml.sbn", "vm", ReceiverVm(scope, vm, move, from, to, toNs, replicas: true))]);
            Back(to, [new Part(ObjectRole.RollbackHaltCopy, "vm-run-strategy.yaml.sbn", "target", RunStrategy(toNs, "Halted")),
                .. Replicas(ObjectRole.RollbackDemote, scope, vm, move, from, to, toNs, labels, "secondary", patch: true)]);
            Back(from, [.. Replicas(ObjectRole.RollbackPromote, scope, vm, move, from, to, fromNs, labels, "primary", patch: true),
                new Part(ObjectRole.RollbackRestartOriginal, "vm-run-strategy.yaml.sbn", "target", RunStrategy(fromNs, "Always"))]);
            return Manifest(StepAction.StagedCutover);
        }

        // Cold: stop the VM, export its disks, import them into a VM on the target that then starts.
        var export = Export(scope, from, name, fromNs, labels, "kubevirt.io", "VirtualMachine", vm.Name);
        var credentials = new ImportCredentials(fromNs, ExportTokenSecret(name), toNs, KubernetesName.Of(name, "token-header"), KubernetesName.Of(name, "export-ca"));
        Add(from,
            new Part(ObjectRole.SourceHalt, "vm-run-strategy.yaml.sbn", "target", RunStrategy(fromNs, "Halted")),
            new Part(ObjectRole.Export, "vmexport.yaml.sbn", "export", export));
        Add(to, new Part(ObjectRole.ReceiverVm, "receiver-vm.yaml.sbn", "vm",
            ReceiverVm(scope, vm, move, from, to, toNs, (ExportVolumesUrl(scope, from, fromNs, name), credentials.HeaderSecret, credentials.CaConfigMap))));
        Back(to, new Part(ObjectRole.RollbackHaltCopy, "vm-run-strategy.yaml.sbn", "target", RunStrategy(toNs, "Halted")));
        Back(from, new Part(ObjectRole.RollbackRestartOriginal, "vm-run-strategy.yaml.sbn", "target", RunStrategy(fromNs, "Always")));
        return Manifest(StepAction.ColdMigration) with { Import = credentials };

        StepManifest Manifest(StepAction action) => new(step.Id, action, [.. objects], [.. rollback], null);
    }

    private static SortedDictionary<string, string> StepLabels(string plan, string move, string stepId)
    {
        var labels = Conventions.OwnedLabels(plan, move);
        labels[Conventions.StepLabel] = KubernetesName.Of(stepId);
        return labels;
    }

    private static string SyncAddress(PlanScope scope, string cluster) => scope.Cluster(cluster)?.KubeVirt.SynchronizationAddress ?? "";

    private static IEnumerable<Part> Replicas(ObjectRole role, PlanScope scope, Vm vm, Move move, string from, string to, string ns, SortedDictionary<string, string> labels, string state, bool patch) =>
        Replications(scope, vm, move, from, to, ns, labels, state, patch).Select(r => new Part(role, r.Template, r.Variable, r.Data));

    private static string ClaimOf(Vm vm, Volume volume) => volume.Claim ?? KubernetesName.Of(vm.Name, volume.Name);

    /// <summary>Renders one step file on <paramref name="cluster"/> and records each of its documents with its role.</summary>
    private void AddStepFile(IFileSink files, string path, string cluster, IReadOnlyList<Part> parts, List<ManifestObject> into)
    {
        var texts = parts.Select(p => RenderFile(p.Template, p.Variable, p.Data)).ToList();
        if (texts.All(t => t is not null))
        {
            files.Add(path, string.Join("---\n", texts));
            into.AddRange(parts.Select((p, i) => new ManifestObject(cluster, p.Role, path, i)));
        }
    }
}
