namespace Reconcile.Compiler.Diagnostics;

/// <summary>A 1-based position in a plan file. <see cref="File"/> is the display path the caller chose.</summary>
public sealed record SourceLocation(string File, int Line, int Column) : IComparable<SourceLocation>
{
    public static SourceLocation StartOf(string file) => new(file, 1, 1);

    public int CompareTo(SourceLocation? other)
    {
        if (other is null)
        {
            return 1;
        }

        var byFile = string.CompareOrdinal(File, other.File);
        if (byFile != 0)
        {
            return byFile;
        }

        return Line != other.Line ? Line.CompareTo(other.Line) : Column.CompareTo(other.Column);
    }

    public override string ToString() => $"{File}:{Line}:{Column}";
}
