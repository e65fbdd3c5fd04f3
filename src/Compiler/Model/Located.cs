using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;

namespace Reconcile.Compiler.Model;

/// <summary>
/// Where a model element was written: its document's source map and JSON pointer, to locate diagnostics.
/// Only the map is kept: the document's JSON copy is garbage once the model is bound (at 100,000 VMs it
/// was a third of the memory of the loaded plans).
/// </summary>
public sealed record Located(SourceMap Map, string Pointer)
{
    public SourceLocation Location => Map.ValueAt(Pointer);

    /// <summary>The value of a child field, or this element when the field is absent.</summary>
    public SourceLocation At(string field) => Map.ValueAt(SourceMap.Append(Pointer, field));

    public SourceLocation At(string field, int index) => Map.ValueAt(SourceMap.Append(SourceMap.Append(Pointer, field), index));

    /// <summary>The key of a child field (where an unknown or wrong field name was written).</summary>
    public SourceLocation KeyOf(string field) => Map.KeyAt(SourceMap.Append(Pointer, field));

    /// <summary>Whether the field was written in the document (whatever its value).</summary>
    public bool Has(string field) => Map.Contains(SourceMap.Append(Pointer, field));

    public Located Child(string field) => new(Map, SourceMap.Append(Pointer, field));

    public Located Child(string field, int index) => new(Map, SourceMap.Append(SourceMap.Append(Pointer, field), index));
}
