namespace Reconcile.Compiler.Diagnostics;

/// <summary>
/// The fixed part of a diagnostic: code, kebab-case name, severity, seed point and default hint.
/// Codes are stable and never reused; docs/diagnostics.md documents each one.
/// </summary>
public sealed record DiagnosticDescriptor(
    string Code,
    string Name,
    Severity Severity,
    string? Seed,
    string DefaultHint,
    bool IsInputProblem = false)
{
    public Diagnostic At(SourceLocation location, string message, string? hint = null) =>
        new(Code, Severity, message, hint ?? DefaultHint, Seed, location);

    public string HelpAnchor => Code.ToLowerInvariant();
}
