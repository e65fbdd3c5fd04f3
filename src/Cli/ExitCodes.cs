namespace Reconcile.Cli;

public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The input was read and has errors.</summary>
    public const int Errors = 1;

    /// <summary>Bad command line, or an input that could not be read.</summary>
    public const int Usage = 2;
}
