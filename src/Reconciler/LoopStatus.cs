using Reconcile.Compiler.Diagnostics;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Reconciler;

/// <summary>What one pass of the loop saw.</summary>
public sealed record LoopStatus(string? Revision, string? RefusedRevision, IReadOnlyList<Diagnostic> Diagnostics, IReadOnlyDictionary<string, PassResult> Plans, string? Problem)
{
    /// <summary>Plans whose pass a cluster's API error held back (tried again on the next pass).</summary>
    public IReadOnlyList<string> HeldBack { get; init; } = [];

    /// <summary>This pass fetched and the remote could not be reached (or refused the credentials).</summary>
    public bool FetchFailed { get; init; }

    /// <summary>This pass applied a new revision and a cluster's API failed it (it is tried again next pass).</summary>
    public bool ApplyFailed { get; init; }

    /// <summary>A revision is in force and every plan's pass ran.</summary>
    public bool Healthy => Revision is not null && RefusedRevision is null && HeldBack.Count == 0;
}
