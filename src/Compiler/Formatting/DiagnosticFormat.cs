namespace Reconcile.Compiler.Formatting;

public enum DiagnosticFormat
{
    Text,
    Json,
    Sarif,
    Github,
}
