namespace Reconcile.Compiler.Planning;

/// <summary>What one migration is: the memory to copy, how fast the guest dirties it, and what may help.</summary>
/// <param name="ExtraBytes">Disk bytes copied by the same migration (block migration), sent before memory.</param>
/// <param name="LatencySeconds">Round-trip time of the path; post-copy's pause is one round trip.</param>
public sealed record MigrationInputs(
    double MemoryBytes,
    double DirtyBytesPerSecond,
    double BytesPerSecond,
    double MaxDowntimeSeconds,
    bool AutoConverge = false,
    bool PostCopy = false,
    double ExtraBytes = 0,
    double LatencySeconds = 0);

/// <summary>One pre-copy round: the bytes it sent, how long that took, and the dirty rate during it.</summary>
public sealed record CopyRound(int Index, double Bytes, double Seconds, double DirtyBytesPerSecond);

public enum CopyMode
{
    PreCopy,
    AutoConverge,
    PostCopy,
}

/// <summary>What the model predicts for one migration.</summary>
/// <param name="Rounds">Pre-copy rounds before stop-and-copy (or before the post-copy switch).</param>
/// <param name="BytesSent">All bytes sent: disks, every round, and the final stop-and-copy.</param>
/// <param name="Seconds">Transfer time at the given bandwidth.</param>
/// <param name="DowntimeSeconds">The guest's pause: the stop-and-copy, or one round trip for post-copy.</param>
/// <param name="Converges">Whether the migration finishes (the last round fits the downtime target).</param>
/// <param name="StallSeconds">The longest time KubeVirt's 400 ms samples of the data remaining see no fall (its progressTimeout watches this): runs of rounds shorter than a sample that do not shrink.</param>
/// <param name="Throttle">The deepest CPU throttle auto-converge reached (0 to 0.99).</param>
public sealed record MigrationPrediction(
    IReadOnlyList<CopyRound> RoundList,
    int Rounds,
    double BytesSent,
    double Seconds,
    double DowntimeSeconds,
    bool Converges,
    CopyMode Mode,
    double StallSeconds,
    double Throttle);

/// <summary>
/// The pre-copy model (Clark et al., NSDI 2005; closed form as in Liu et al., HPDC 2011), run round
/// by round: round 0 sends all memory M; round i re-sends what was dirtied during round i-1; QEMU
/// stops and copies once the remainder fits bandwidth × downtime-limit (migration.c threshold_size).
/// Auto-converge follows QEMU's defaults (options.c: trigger 50%, initial throttle 20%, step 10%,
/// max 99%, after two high-dirty syncs); post-copy switches after the first round. Seed S4.
/// docs/model.md carries the equations and sources.
/// </summary>
public static class PreCopyModel
{
    public const int MaxRounds = 30;
    public const int MaxRoundsWithAutoConverge = 100;
    public const double ThrottleTrigger = Facts.QemuDefaults.ThrottleTrigger;
    public const double ThrottleInitial = Facts.QemuDefaults.ThrottleInitial;
    public const double ThrottleIncrement = Facts.QemuDefaults.ThrottleIncrement;
    public const double ThrottleMax = Facts.QemuDefaults.ThrottleMax;

    /// <summary>Plain pre-copy: no auto-converge, no post-copy, memory only.</summary>
    public static MigrationPrediction Predict(double memoryBytes, double dirtyBytesPerSecond, double bytesPerSecond, double maxDowntimeSeconds, int maxRounds = MaxRounds) =>
        Simulate(new MigrationInputs(memoryBytes, dirtyBytesPerSecond, bytesPerSecond, maxDowntimeSeconds), maxRounds);

    public static MigrationPrediction Simulate(MigrationInputs inputs, int? roundLimit = null)
    {
        var bandwidth = inputs.BytesPerSecond;
        var memory = inputs.MemoryBytes;
        if (bandwidth <= 0)
        {
            return new MigrationPrediction([], 0, memory + inputs.ExtraBytes, double.PositiveInfinity, double.PositiveInfinity, false, CopyMode.PreCopy, double.PositiveInfinity, 0);
        }

        var maxRounds = roundLimit ?? (inputs.AutoConverge ? MaxRoundsWithAutoConverge : MaxRounds);
        var threshold = bandwidth * inputs.MaxDowntimeSeconds;
        var rounds = new List<CopyRound>();
        var sent = inputs.ExtraBytes;
        var seconds = inputs.ExtraBytes / bandwidth;
        var dirtyRate = inputs.DirtyBytesPerSecond;
        var pending = memory;
        double throttle = 0, stall = 0, longestStall = 0;
        var highDirtySyncs = 0;
        var mode = CopyMode.PreCopy;
        for (var round = 0; ; round++)
        {
            if (round >= 1 && (pending <= threshold || round >= maxRounds))
            {
                break;
            }

            if (inputs.PostCopy && round == 1)
            {
                // Post-copy: the guest resumes on the target and each page still dirty is fetched once.
                sent += pending;
                seconds += pending / bandwidth;
                return new MigrationPrediction(rounds, rounds.Count, sent, seconds, inputs.LatencySeconds, true, CopyMode.PostCopy, longestStall, throttle);
            }

            var roundSeconds = pending / bandwidth;
            rounds.Add(new CopyRound(round, pending, roundSeconds, dirtyRate));
            sent += pending;
            seconds += roundSeconds;
            var dirtied = Math.Min(memory, dirtyRate * roundSeconds);
            // KubeVirt sees progress when the data remaining falls between two of its samples: inside a round
            // longer than a sample it always does; only rounds shorter than a sample that do not shrink stall.
            stall = roundSeconds < Facts.MigrationPhases.ProgressSample.TotalSeconds && dirtied >= pending ? stall + roundSeconds : 0;
            longestStall = Math.Max(longestStall, stall);
            if (inputs.AutoConverge && dirtied > ThrottleTrigger * pending && ++highDirtySyncs >= 2)
            {
                throttle = throttle == 0 ? ThrottleInitial : Math.Min(ThrottleMax, throttle + ThrottleIncrement);
                dirtyRate = inputs.DirtyBytesPerSecond * (1 - throttle);
                highDirtySyncs = 0;
                mode = CopyMode.AutoConverge;
            }

            pending = dirtied;
        }

        // Stop-and-copy: the guest pauses while the remainder crosses.
        sent += pending;
        seconds += pending / bandwidth;
        return new MigrationPrediction(rounds, rounds.Count, sent, seconds, pending / bandwidth, pending <= threshold, mode, longestStall, throttle);
    }

    /// <summary>
    /// Ratio of dirty rate to bandwidth, ρ = D/B. Below 1 pre-copy converges in finitely many rounds;
    /// at or above 1 every round re-sends at least as much as the one before.
    /// </summary>
    public static double DirtyRatio(double dirtyBytesPerSecond, double bytesPerSecond) =>
        bytesPerSecond <= 0 ? double.PositiveInfinity : dirtyBytesPerSecond / bytesPerSecond;

    /// <summary>The dirty rate auto-converge settles on: throttle steps until the rate is at most half the bandwidth.</summary>
    public static double ThrottledDirtyRate(double dirtyBytesPerSecond, double bytesPerSecond)
    {
        var throttle = 0.0;
        while (dirtyBytesPerSecond * (1 - throttle) > ThrottleTrigger * bytesPerSecond && throttle < ThrottleMax)
        {
            throttle = throttle == 0 ? ThrottleInitial : Math.Min(ThrottleMax, throttle + ThrottleIncrement);
        }

        return dirtyBytesPerSecond * (1 - throttle);
    }
}
