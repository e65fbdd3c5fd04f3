using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;

namespace Reconcile.Reconciler;

/// <summary>
/// Leader election over a Lease (KubernetesClient's LeaderElector), so several replicas can run and
/// only one reconciles: the others wait, and take over when the leader's lease lapses.
/// </summary>
public sealed class LeaderGate : IDisposable
{
    private readonly LeaderElector elector;
    private volatile bool leading;

    public LeaderGate(IKubernetes client, string ns, string name, string identity, TimeSpan? leaseDuration = null)
    {
        var duration = leaseDuration ?? TimeSpan.FromSeconds(15);
        elector = new LeaderElector(new LeaderElectionConfig(new LeaseLock(client, ns, name, identity))
        {
            LeaseDuration = duration,
            RenewDeadline = duration * 2 / 3,
            RetryPeriod = duration / 5,
        });
        elector.OnStartedLeading += () => leading = true;
        elector.OnStoppedLeading += () => leading = false;
        Identity = identity;
    }

    public string Identity { get; }

    public bool IsLeader => leading;

    /// <summary>Campaigns for the lease until cancelled; leadership flips IsLeader.</summary>
    public async Task RunAsync(CancellationToken cancel)
    {
        try
        {
            await elector.RunAndTryToHoldLeadershipForeverAsync(cancel);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            leading = false;
        }
    }

    public void Dispose() => elector.Dispose();
}
