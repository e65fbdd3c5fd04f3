namespace Reconcile.Cli;

/// <summary>Where a command reads and writes; tests pass StringWriters and a temporary directory.</summary>
public sealed record IOContext(TextWriter Out, TextWriter Error, string CurrentDirectory)
{
    /// <summary>True when stdout is a terminal: long work then shows progress bars instead of plain lines.</summary>
    public bool Interactive { get; init; }

    public static IOContext Console() => new(System.Console.Out, System.Console.Error, Environment.CurrentDirectory)
    {
        Interactive = !System.Console.IsOutputRedirected,
    };
}
