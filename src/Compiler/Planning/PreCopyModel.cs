namespace Reconcile.Compiler.Planning;

/// <summary>What the pre-copy model predicts for one migration.</summary>
/// <param name="Rounds">Pre-copy rounds before stop-and-copy.</param>
/// <param name="BytesSent">Memory bytes sent in all rounds, including the final stop-and-copy.</param>
/// <param name="Seconds">Transfer time at the given bandwidth.</param>
/// <param name="DowntimeSeconds">Time of the final stop-and-copy.</param>
/// <param name="Converges">Whether the last round fits the downtime target.</param>
public sealed record PreCopyPrediction(int Rounds, double BytesSent, double Seconds, double DowntimeSeconds, bool Converges);

/// <summary>
/// The geometric pre-copy model (Clark et al., NSDI 2005; closed form as in Liu et al., HPDC 2011):
/// round 0 sends all memory M; round i re-sends what was dirtied during round i-1, D·T(i-1);
/// QEMU stops and copies once the remaining data fits bandwidth × downtime-limit
/// (migration.c threshold_size). Seed S4. docs/model.md carries the equations.
/// </summary>
public static class PreCopyModel
{
    public const int MaxRounds = 30;

    public static PreCopyPrediction Predict(double memoryBytes, double dirtyBytesPerSecond, double bytesPerSecond, double maxDowntimeSeconds, int maxRounds = MaxRounds)
    {
        if (bytesPerSecond <= 0)
        {
            return new PreCopyPrediction(0, memoryBytes, double.PositiveInfinity, double.PositiveInfinity, false);
        }

        var threshold = bytesPerSecond * maxDowntimeSeconds;
        double sent = 0;
        var pending = memoryBytes;
        var round = 0;
        while (round == 0 || (pending > threshold && round < maxRounds))
        {
            sent += pending;
            // What the guest dirties while this round is on the wire, never more than all of memory.
            pending = Math.Min(memoryBytes, dirtyBytesPerSecond * (pending / bytesPerSecond));
            round++;
        }

        sent += pending;
        return new PreCopyPrediction(round, sent, sent / bytesPerSecond, pending / bytesPerSecond, pending <= threshold);
    }

    /// <summary>
    /// Ratio of dirty rate to bandwidth, ρ = D/B. Below 1 pre-copy converges in finitely many rounds;
    /// at or above 1 every round re-sends at least as much as the one before.
    /// </summary>
    public static double DirtyRatio(double dirtyBytesPerSecond, double bytesPerSecond) =>
        bytesPerSecond <= 0 ? double.PositiveInfinity : dirtyBytesPerSecond / bytesPerSecond;

    /// <summary>
    /// The dirty rate QEMU's auto-converge settles on: throttle steps of 20% then +10% up to 99%
    /// (options.c defaults) until the rate is at most half the bandwidth (throttle-trigger-threshold 50%).
    /// </summary>
    public static double ThrottledDirtyRate(double dirtyBytesPerSecond, double bytesPerSecond)
    {
        var throttle = 0.0;
        while (dirtyBytesPerSecond * (1 - throttle) > 0.5 * bytesPerSecond && throttle < 0.99)
        {
            throttle = throttle == 0 ? 0.20 : Math.Min(0.99, throttle + 0.10);
        }

        return dirtyBytesPerSecond * (1 - throttle);
    }
}
