using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;

namespace Reconcile.Compiler.Model;

/// <summary>Where a model element was written: its document and JSON pointer, to locate diagnostics.</summary>
public sealed record Located(PlanDocument Document, string Pointer)
{
    public SourceLocation Location => Document.ValueAt(Pointer);

    /// <summary>The value of a child field, or this element when the field is absent.</summary>
    public SourceLocation At(string field) => Document.ValueAt(SourceMap.Append(Pointer, field));

    public SourceLocation At(string field, int index) => Document.ValueAt(SourceMap.Append(SourceMap.Append(Pointer, field), index));

    /// <summary>The key of a child field (where an unknown or wrong field name was written).</summary>
    public SourceLocation KeyOf(string field) => Document.KeyAt(SourceMap.Append(Pointer, field));

    /// <summary>Whether the field was written in the document (whatever its value).</summary>
    public bool Has(string field) => Document.Map.Contains(SourceMap.Append(Pointer, field));

    public Located Child(string field) => new(Document, SourceMap.Append(Pointer, field));

    public Located Child(string field, int index) => new(Document, SourceMap.Append(SourceMap.Append(Pointer, field), index));
}
