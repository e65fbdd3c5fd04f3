namespace Reconcile.Cli;

/// <summary>Where a command reads and writes; tests pass StringWriters and a temporary directory.</summary>
public sealed record IOContext(TextWriter Out, TextWriter Error, string CurrentDirectory)
{
    public static IOContext Console() => new(System.Console.Out, System.Console.Error, Environment.CurrentDirectory);
}
