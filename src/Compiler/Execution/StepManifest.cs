using System.Collections.Immutable;

namespace Reconcile.Compiler.Execution;

/// <summary>What carrying a step out means; the reconciler has one driver per action.</summary>
public enum StepAction
{
    Snapshot,
    Replicate,
    /// <summary>A VirtualMachineInstanceMigration inside one cluster.</summary>
    LocalMigration,
    /// <summary>A decentralized migration between two clusters: receiver VM and receiving VMIM on the target, sending VMIM on the source.</summary>
    LiveMigration,
    /// <summary>Stop, export every disk, import them into a VM on the target that then starts.</summary>
    ColdMigration,
    /// <summary>Stop, demote the source replicas, promote the target ones, start the VM on them.</summary>
    StagedCutover,
    Verify,
    Gate,
}

/// <summary>What one rendered object is for. The reconciler acts on roles, never on an object's fields.</summary>
public enum ObjectRole
{
    Snapshot,
    /// <summary>A VMIM inside one cluster.</summary>
    LocalMigration,
    /// <summary>The source half of a decentralized migration (spec.sendTo).</summary>
    SenderMigration,
    /// <summary>The VM on the target that waits for the migration, or starts on imported or replicated disks.</summary>
    ReceiverVm,
    /// <summary>The target half of a decentralized migration (spec.receive).</summary>
    ReceiveMigration,
    /// <summary>A patch that stops the source VM (runStrategy Halted).</summary>
    SourceHalt,
    /// <summary>The VirtualMachineExport that serves the stopped VM's disks.</summary>
    Export,
    /// <summary>A VolumeReplication on the side that is (or becomes) primary at the step's start.</summary>
    SourceReplica,
    /// <summary>A VolumeReplication on the other side.</summary>
    TargetReplica,
    /// <summary>Rollback inside a cluster: a VMIM back to the original node.</summary>
    RollbackMigration,
    /// <summary>Rollback across clusters: the original VM waits as receiver again (patch).</summary>
    RollbackReceiverVm,
    RollbackReceiveMigration,
    RollbackSenderMigration,
    /// <summary>Rollback of a cold landing: the copy on the target stops (patch).</summary>
    RollbackHaltCopy,
    /// <summary>Rollback of a cold landing: the original starts again with the run strategy it had (patch).</summary>
    RollbackRestartOriginal,
    /// <summary>Rollback of a staged cut-over: the copy's replicas are demoted again (patch).</summary>
    RollbackDemote,
    /// <summary>Rollback of a staged cut-over: the original's replicas are promoted again (patch).</summary>
    RollbackPromote,
}

/// <summary>One object of a step: the cluster it goes to, its role, and where it was rendered (file and document index).</summary>
public sealed record ManifestObject(string Cluster, ObjectRole Role, string File, int Document);

/// <summary>
/// The names a cold move's import uses beside its objects: the export's token Secret on the source, the
/// Secret with the token header and the ConfigMap with the export proxy's CA on the target.
/// </summary>
public sealed record ImportCredentials(string SourceNamespace, string TokenSecret, string TargetNamespace, string HeaderSecret, string CaConfigMap);

/// <summary>
/// What the reconciler creates for one step, and what it creates to reverse it: rendered from the
/// templates with every object's role, so that executing a step never means guessing from YAML.
/// </summary>
public sealed record StepManifest(string StepId, StepAction Action, ImmutableArray<ManifestObject> Objects, ImmutableArray<ManifestObject> Rollback, ImportCredentials? Import)
{
    public IEnumerable<ManifestObject> With(ObjectRole role) => Objects.Where(o => o.Role == role);

    public IEnumerable<ManifestObject> RollbackWith(ObjectRole role) => Rollback.Where(o => o.Role == role);
}
