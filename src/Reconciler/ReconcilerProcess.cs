using System.Runtime;

namespace Reconcile.Reconciler;

/// <summary>How the process that runs the reconciler's loop is set up, in one place for `reconcile run` and its benchmark.</summary>
public static class ReconcilerProcess
{
    /// <summary>
    /// Collections without a background thread (GCLatencyMode.Batch). A concurrent collection runs beside
    /// the pass on the pod's few cores and slows every allocation while it marks: the idle pass of a
    /// 10,000-VM campaign, half done, took 91-103 ms (median of 101) with it and 67-71 ms without (bench/README.md).
    /// A reconciler does not answer users, so the pauses of a blocking collection cost nothing it needs;
    /// `compile` keeps the default, under which its short runs are faster and smaller.
    /// </summary>
    public static void UseBatchCollections() => GCSettings.LatencyMode = GCLatencyMode.Batch;
}
