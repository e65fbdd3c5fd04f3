using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Reconcile.Compiler.Diagnostics;

namespace Reconcile.Compiler.Formatting;

/// <summary>Renders diagnostics for people (text), programs (json), code scanning (SARIF 2.1.0) and GitHub Actions annotations.</summary>
public static class DiagnosticRenderer
{
    /// <summary>Where each code is explained, relative to the repository root.</summary>
    public const string DocumentationPath = "docs/diagnostics.md";

    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Render(IReadOnlyList<Diagnostic> diagnostics, DiagnosticFormat format) => format switch
    {
        DiagnosticFormat.Json => Json(diagnostics),
        DiagnosticFormat.Sarif => Sarif(diagnostics),
        DiagnosticFormat.Github => Github(diagnostics),
        _ => Text(diagnostics),
    };

    /// <summary>GNU style, one line per diagnostic, the hint indented below, and a summary line.</summary>
    public static string Text(IReadOnlyList<Diagnostic> diagnostics)
    {
        var text = new StringBuilder();
        foreach (var d in diagnostics.Take(MaxShown))
        {
            text.Append($"{Printable.Of(d.Location.ToString())}: {d.Severity.ToText()} {d.Code}: {Printable.Of(d.Message)}\n");
            text.Append($"    hint: {Printable.Of(d.Hint)}\n");
        }

        if (diagnostics.Count > MaxShown)
        {
            text.Append($"... and {diagnostics.Count - MaxShown} more, not shown (--format json or sarif lists them all)\n");
        }

        text.Append(Summary(diagnostics)).Append('\n');
        return text.ToString();
    }

    /// <summary>How many diagnostics the line-oriented formats print: one input must not flood a CI log.</summary>
    public const int MaxShown = 1000;

    public static string Summary(IReadOnlyList<Diagnostic> diagnostics) =>
        $"{diagnostics.Count(d => d.Severity == Severity.Error)} errors, {diagnostics.Count(d => d.Severity == Severity.Warning)} warnings";

    public static string Json(IReadOnlyList<Diagnostic> diagnostics)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, Indented))
        {
            json.WriteStartArray();
            foreach (var d in diagnostics)
            {
                json.WriteStartObject();
                json.WriteString("code", d.Code);
                json.WriteString("severity", d.Severity.ToText());
                json.WriteString("file", d.Location.File);
                json.WriteNumber("line", d.Location.Line);
                json.WriteNumber("column", d.Location.Column);
                json.WriteString("message", d.Message);
                json.WriteString("hint", d.Hint);
                if (d.Seed is null)
                {
                    json.WriteNull("seed");
                }
                else
                {
                    json.WriteString("seed", d.Seed);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>
    /// SARIF 2.1.0 as GitHub code scanning reads it: one run, the full rule catalogue, results with
    /// ruleIndex, level, and a region in a file relative to %SRCROOT%.
    /// </summary>
    public static string Sarif(IReadOnlyList<Diagnostic> diagnostics)
    {
        var rules = DiagnosticCatalog.All;
        var index = rules.Select((r, i) => (r.Code, i)).ToDictionary(x => x.Code, x => x.i, StringComparer.Ordinal);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, Indented))
        {
            json.WriteStartObject();
            json.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
            json.WriteString("version", "2.1.0");
            json.WriteStartArray("runs");
            json.WriteStartObject();
            json.WriteStartObject("tool");
            json.WriteStartObject("driver");
            json.WriteString("name", "reconcile");
            json.WriteString("semanticVersion", ToolVersion);
            json.WriteStartArray("rules");
            foreach (var rule in rules)
            {
                json.WriteStartObject();
                json.WriteString("id", rule.Code);
                json.WriteString("name", rule.Name);
                json.WriteStartObject("shortDescription");
                json.WriteString("text", rule.Name.Replace('-', ' '));
                json.WriteEndObject();
                json.WriteStartObject("fullDescription");
                json.WriteString("text", rule.DefaultHint);
                json.WriteEndObject();
                json.WriteStartObject("help");
                json.WriteString("text", $"{rule.DefaultHint} See {DocumentationPath}#{rule.HelpAnchor}.");
                json.WriteEndObject();
                json.WriteStartObject("defaultConfiguration");
                json.WriteString("level", Level(rule.Severity));
                json.WriteEndObject();
                if (rule.Seed is not null)
                {
                    json.WriteStartObject("properties");
                    json.WriteStartArray("tags");
                    json.WriteStringValue("seed-" + rule.Seed);
                    json.WriteEndArray();
                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartArray("results");
            foreach (var d in diagnostics)
            {
                json.WriteStartObject();
                json.WriteString("ruleId", d.Code);
                if (index.TryGetValue(d.Code, out var i))
                {
                    json.WriteNumber("ruleIndex", i);
                }

                json.WriteString("level", Level(d.Severity));
                json.WriteStartObject("message");
                json.WriteString("text", $"{d.Message}\nhint: {d.Hint}");
                json.WriteEndObject();
                json.WriteStartArray("locations");
                json.WriteStartObject();
                json.WriteStartObject("physicalLocation");
                json.WriteStartObject("artifactLocation");
                json.WriteString("uri", d.Location.File);
                json.WriteString("uriBaseId", "%SRCROOT%");
                json.WriteEndObject();
                json.WriteStartObject("region");
                json.WriteNumber("startLine", d.Location.Line);
                json.WriteNumber("startColumn", d.Location.Column);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>GitHub Actions workflow commands: ::error file=…,line=…,col=…,title=…::message.</summary>
    public static string Github(IReadOnlyList<Diagnostic> diagnostics)
    {
        var text = new StringBuilder();
        foreach (var d in diagnostics.Take(MaxShown))
        {
            var command = d.Severity switch { Severity.Error => "error", Severity.Warning => "warning", _ => "notice" };
            text.Append($"::{command} file={Property(Printable.Of(d.Location.File))},line={d.Location.Line},col={d.Location.Column},title={Property(d.Code)}::{Data($"{Printable.Of(d.Message)}\nhint: {Printable.Of(d.Hint)}")}\n");
        }

        if (diagnostics.Count > MaxShown)
        {
            text.Append($"::notice title=reconcile::{diagnostics.Count - MaxShown} more diagnostics not shown; --format json or sarif lists them all\n");
        }

        return text.ToString();
    }

    private static string ToolVersion =>
        typeof(DiagnosticRenderer).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0";

    private static string Level(Severity severity) => severity switch
    {
        Severity.Error => "error",
        Severity.Warning => "warning",
        _ => "note",
    };

    private static string Data(string value) =>
        value.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);

    private static string Property(string value) =>
        Data(value).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);
}
