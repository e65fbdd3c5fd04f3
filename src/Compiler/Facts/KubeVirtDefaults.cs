namespace Reconcile.Compiler.Facts;

/// <summary>KubeVirt defaults the planner's cold-move predictions rest on.</summary>
public static class KubeVirtDefaults
{
    /// <summary>
    /// How long KubeVirt lets a guest shut down before it is killed (DefaultGracePeriodSeconds, v1.6.2
    /// staging/src/kubevirt.io/api/core/v1/types.go): the bound on stopping a VM for a cold move.
    /// </summary>
    public static readonly TimeSpan ShutdownGracePeriod = TimeSpan.FromSeconds(30);
}
