namespace Reconcile.Reconciler.Execution;

/// <summary>
/// How long a failed step waits before its next attempt: doubling from <paramref name="Base"/>, never
/// more than <paramref name="Cap"/>, spread by up to ±<paramref name="Jitter"/> of itself so that many
/// steps failing together do not retry together. The random source is injectable (tests fix it).
/// </summary>
public sealed record Backoff(TimeSpan Base, TimeSpan Cap, double Jitter, Func<double> Random)
{
    public static Backoff Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10), 0.2, System.Random.Shared.NextDouble);

    /// <summary>Without jitter: what tests and the simulator use, so that runs repeat exactly.</summary>
    public static Backoff Fixed { get; } = Default with { Jitter = 0 };

    /// <summary>The wait after attempt <paramref name="attempt"/> (1 = the first) failed.</summary>
    public TimeSpan After(int attempt)
    {
        var doubled = Base.TotalSeconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var capped = Math.Min(doubled, Cap.TotalSeconds);
        var spread = 1 + Jitter * (2 * Random() - 1);
        return TimeSpan.FromSeconds(Math.Round(Math.Min(capped * spread, Cap.TotalSeconds)));
    }
}
