using System.Text;
using DiffPlex;

namespace Reconcile.Compiler.Diffing;

/// <summary>`diff -u` style text of two versions of a file: DiffPlex finds the changed lines, this lays out hunks with context.</summary>
public static class UnifiedDiff
{
    public const int Context = 3;

    public static string Of(string path, string? before, string? after)
    {
        var oldLines = Lines(before);
        var newLines = Lines(after);
        var blocks = Differ.Instance.CreateLineDiffs(string.Join('\n', oldLines), string.Join('\n', newLines), ignoreWhitespace: false).DiffBlocks;
        var text = new StringBuilder();
        text.Append(before is null ? "--- /dev/null\n" : $"--- a/{path}\n");
        text.Append(after is null ? "+++ /dev/null\n" : $"+++ b/{path}\n");
        var i = 0;
        while (i < blocks.Count)
        {
            // Blocks closer than twice the context share one hunk.
            var j = i;
            while (j + 1 < blocks.Count && blocks[j + 1].DeleteStartA - (blocks[j].DeleteStartA + blocks[j].DeleteCountA) <= 2 * Context)
            {
                j++;
            }

            var startA = Math.Max(0, blocks[i].DeleteStartA - Context);
            var startB = Math.Max(0, blocks[i].InsertStartB - Context);
            var endA = Math.Min(oldLines.Count, blocks[j].DeleteStartA + blocks[j].DeleteCountA + Context);
            var endB = Math.Min(newLines.Count, blocks[j].InsertStartB + blocks[j].InsertCountB + Context);
            text.Append($"@@ -{Range(startA, endA - startA)} +{Range(startB, endB - startB)} @@\n");
            var a = startA;
            for (var k = i; k <= j; k++)
            {
                var block = blocks[k];
                for (; a < block.DeleteStartA; a++)
                {
                    text.Append(' ').Append(oldLines[a]).Append('\n');
                }

                for (var d = 0; d < block.DeleteCountA; d++)
                {
                    text.Append('-').Append(oldLines[block.DeleteStartA + d]).Append('\n');
                }

                for (var n = 0; n < block.InsertCountB; n++)
                {
                    text.Append('+').Append(newLines[block.InsertStartB + n]).Append('\n');
                }

                a = block.DeleteStartA + block.DeleteCountA;
            }

            for (; a < endA; a++)
            {
                text.Append(' ').Append(oldLines[a]).Append('\n');
            }

            i = j + 1;
        }

        return text.ToString();
    }

    private static List<string> Lines(string? text) =>
        string.IsNullOrEmpty(text) ? [] : [.. text.TrimEnd('\n').Split('\n')];

    // diff -u writes "start,count" with 1-based starts; an empty range starts at the line before it.
    private static string Range(int start, int count) => count == 0 ? $"{start},0" : count == 1 ? $"{start + 1}" : $"{start + 1},{count}";
}
