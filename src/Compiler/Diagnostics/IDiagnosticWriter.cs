namespace Reconcile.Compiler.Diagnostics;

public interface IDiagnosticWriter
{
    void Write(Diagnostic diagnostic);
}

/// <summary>Collects what every phase writes; <see cref="Assemble"/> gives the sorted, de-duplicated result.</summary>
public sealed class DiagnosticBag : IDiagnosticWriter
{
    private readonly List<Diagnostic> items = [];

    public bool HasErrors => items.Any(d => d.IsError);

    public int Count => items.Count;

    public void Write(Diagnostic diagnostic) => items.Add(diagnostic);

    public void WriteAll(IEnumerable<Diagnostic> diagnostics) => items.AddRange(diagnostics);

    /// <summary>
    /// Joins the phases' diagnostics: removes exact duplicates, drops warnings and infos whose code the
    /// plan suppresses (errors are never suppressed), and sorts by file, line, column, then code.
    /// </summary>
    public IReadOnlyList<Diagnostic> Assemble(IReadOnlySet<string> suppressedCodes) =>
        items
            .Where(d => d.IsError || !suppressedCodes.Contains(d.Code))
            .Distinct()
            .OrderBy(d => d.Location)
            .ThenBy(d => d.Code, StringComparer.Ordinal)
            .ThenBy(d => d.Message, StringComparer.Ordinal)
            .ToList();
}
