using System.Globalization;
using System.Text;

namespace Reconcile.Compiler.Formatting;

/// <summary>
/// Plan values end up in diagnostics, and diagnostics in CI logs that machines read: a value with a
/// line break could start a line of its own (GitHub Actions runs a line that begins with `::` as a
/// workflow command). Control characters and Unicode line and paragraph separators are shown escaped.
/// </summary>
public static class Printable
{
    public static string Of(string text)
    {
        if (!text.Any(NeedsEscape))
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            escaped.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when NeedsEscape(c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }

    private static bool NeedsEscape(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
