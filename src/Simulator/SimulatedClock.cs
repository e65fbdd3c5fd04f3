using System.Diagnostics;

namespace Reconcile.Simulator;

/// <summary>
/// Simulated time: starts at a given instant and runs <see cref="Speed"/> times faster than real time
/// (speed 3600 plays an hour per second), so a weekend campaign takes seconds. Tests may also advance
/// it by hand. Thread-safe.
/// </summary>
public sealed class SimulatedClock
{
    private readonly Lock gate = new();
    private readonly Stopwatch real = Stopwatch.StartNew();
    private DateTime origin;
    private TimeSpan realAtOrigin;

    public SimulatedClock(DateTime start, double speed)
    {
        origin = DateTime.SpecifyKind(start, DateTimeKind.Utc);
        Speed = speed;
    }

    public double Speed { get; }

    public DateTime Now
    {
        get
        {
            lock (gate)
            {
                return origin + TimeSpan.FromTicks((long)((real.Elapsed - realAtOrigin).Ticks * Speed));
            }
        }
    }

    /// <summary>Jumps simulated time forward (tests, and `POST /simulator/time`).</summary>
    public void Advance(TimeSpan by)
    {
        lock (gate)
        {
            origin = Now + by;
            realAtOrigin = real.Elapsed;
        }
    }

    /// <summary>Real time to wait for <paramref name="simulated"/> to pass.</summary>
    public TimeSpan RealDelay(TimeSpan simulated) => TimeSpan.FromTicks((long)(simulated.Ticks / Speed));
}
