namespace Reconcile.Cli;

public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The input was read and has errors.</summary>
    public const int Errors = 1;

    /// <summary>Bad command line, or an input that could not be read.</summary>
    public const int Usage = 2;

    /// <summary>`discover` read some clusters or sources and not others: what it read is written, what failed is said.</summary>
    public const int Partial = 3;
}
