namespace Reconcile.Compiler.Diagnostics;

/// <summary>One problem found in the plan, ready to print in any output format.</summary>
/// <param name="Seed">The seed checklist point the rule comes from ("S16"), or null.</param>
public sealed record Diagnostic(
    string Code,
    Severity Severity,
    string Message,
    string Hint,
    string? Seed,
    SourceLocation Location)
{
    public bool IsError => Severity == Severity.Error;
}
