namespace Reconcile.Cli;

/// <summary>An IProgress that reports synchronously, in order (System.Progress posts to the thread pool).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
