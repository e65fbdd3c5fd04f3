using Reconcile.Reconciler;

namespace Reconcile.Simulator.Tests;

/// <summary>Leader election with a Lease in the simulated API: one leader at a time, and a take-over when it stops.</summary>
public sealed class LeaderGateTests
{
    [Fact]
    public async Task Only_one_replica_leads_and_another_takes_over_when_it_stops()
    {
        await using var sim = await RunningSimulator.Start("node-drain", speed: 1);
        using var clientA = sim.Client("ber-1");
        using var clientB = sim.Client("ber-1");
        using var a = new LeaderGate(clientA, "reconcile-system", "reconcile", "replica-a", TimeSpan.FromSeconds(2));
        using var b = new LeaderGate(clientB, "reconcile-system", "reconcile", "replica-b", TimeSpan.FromSeconds(2));
        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var runA = a.RunAsync(stopA.Token);
        await WaitFor(() => a.IsLeader, TimeSpan.FromSeconds(10));
        var runB = b.RunAsync(stopB.Token);
        await Task.Delay(1500);
        Assert.True(a.IsLeader);
        Assert.False(b.IsLeader);

        await stopA.CancelAsync();
        await runA;
        await WaitFor(() => b.IsLeader, TimeSpan.FromSeconds(15));
        Assert.False(a.IsLeader);
        await stopB.CancelAsync();
        await runB;
    }

    private static async Task WaitFor(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(100);
        }
    }
}
