using System.Text;
using Reconcile.Compiler.Diagnostics;
using YamlDotNet.Core;

namespace Reconcile.Compiler.Loading;

/// <summary>What the loader read: every document it could parse, and the problems it met.</summary>
public sealed record LoadResult(IReadOnlyList<PlanDocument> Documents, IReadOnlyList<Diagnostic> Diagnostics, int FileCount);

/// <summary>
/// Reads plan files and directory trees (*.yaml and *.yml, in ordinal path order, skipping hidden
/// folders) into documents. Paths in diagnostics are shown relative to <c>displayRoot</c>.
/// </summary>
public sealed class PlanLoader(string displayRoot)
{
    public const long MaxFileBytes = 16L * 1024 * 1024;

    public LoadResult Load(IEnumerable<string> paths)
    {
        var diagnostics = new List<Diagnostic>();
        var files = new List<string>();
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path, displayRoot);
            if (Directory.Exists(full))
            {
                files.AddRange(EnumeratePlanFiles(full));
            }
            else if (File.Exists(full))
            {
                files.Add(full);
            }
            else
            {
                diagnostics.Add(DiagnosticCatalog.PathNotFound.At(SourceLocation.StartOf(Display(full)), $"path '{path}' does not exist"));
            }
        }

        var documents = new List<PlanDocument>();
        var distinct = files.Distinct(StringComparer.Ordinal).ToList();
        foreach (var file in distinct)
        {
            LoadFile(file, documents, diagnostics);
        }

        return new LoadResult(documents, diagnostics, distinct.Count);
    }

    /// <summary>Parses one YAML text; used for files and by tests that feed text directly.</summary>
    public static void LoadText(string displayPath, string text, List<PlanDocument> documents, List<Diagnostic> diagnostics)
    {
        var index = 0;
        try
        {
            using var reader = new StringReader(text);
            YamlTreeBuilder.Read(reader, (root, _) =>
            {
                if (root is not null)
                {
                    documents.Add(new PlanDocument(displayPath, index, YamlToJson.Convert(root), new SourceMap(displayPath, root)));
                }

                index++;
            });
        }
        catch (YamlTreeException e)
        {
            var descriptor = e.Kind switch
            {
                YamlTreeBuilder.DuplicateKeyKind => DiagnosticCatalog.DuplicateKey,
                YamlTreeBuilder.TooComplexKind => DiagnosticCatalog.YamlTooComplex,
                YamlTreeBuilder.UnsupportedKeyKind => DiagnosticCatalog.UnsupportedKey,
                _ => DiagnosticCatalog.YamlSyntax,
            };
            diagnostics.Add(descriptor.At(YamlToJson.At(displayPath, e.Mark), e.Message));
        }
        catch (YamlException e)
        {
            diagnostics.Add(DiagnosticCatalog.YamlSyntax.At(YamlToJson.At(displayPath, e.Start), CleanMessage(e.Message)));
        }
    }

    /// <summary>A plan file held somewhere other than the file system (a Git tree): its display path, size and text.</summary>
    public sealed record SourceText(string DisplayPath, long Length, Func<string> Read);

    /// <summary>Loads files read from elsewhere with the same limits as files on disk.</summary>
    public static LoadResult LoadTexts(IReadOnlyList<SourceText> files)
    {
        var documents = new List<PlanDocument>();
        var diagnostics = new List<Diagnostic>();
        foreach (var file in files.OrderBy(f => f.DisplayPath, StringComparer.Ordinal))
        {
            if (file.Length > MaxFileBytes)
            {
                diagnostics.Add(TooLarge(file.DisplayPath, file.Length));
                continue;
            }

            LoadText(file.DisplayPath, file.Read(), documents, diagnostics);
        }

        return new LoadResult(documents, diagnostics, files.Count);
    }

    /// <summary>Whether a file (path relative to the folder searched) is read as a plan file: *.yaml or *.yml, in no hidden folder.</summary>
    public static bool IsPlanFile(string relativePath) =>
        (relativePath.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || relativePath.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)) &&
        !relativePath.Replace('\\', '/').Split('/').Any(part => part.StartsWith('.'));

    private static Diagnostic TooLarge(string display, long length) => DiagnosticCatalog.FileTooLarge.At(SourceLocation.StartOf(display),
        $"file is {length / (1024.0 * 1024.0):F1} MiB; the limit is {MaxFileBytes / (1024 * 1024)} MiB");

    private void LoadFile(string file, List<PlanDocument> documents, List<Diagnostic> diagnostics)
    {
        var display = Display(file);
        try
        {
            var length = new FileInfo(file).Length;
            if (length > MaxFileBytes)
            {
                diagnostics.Add(TooLarge(display, length));
                return;
            }

            LoadText(display, File.ReadAllText(file, Encoding.UTF8), documents, diagnostics);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(DiagnosticCatalog.PathNotFound.At(SourceLocation.StartOf(display), $"cannot read file: {e.Message}"));
        }
    }

    private static IEnumerable<string> EnumeratePlanFiles(string directory)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden, IgnoreInaccessible = true };
        return Directory.EnumerateFiles(directory, "*", options)
            .Where(f => IsPlanFile(Path.GetRelativePath(directory, f)))
            .Order(StringComparer.Ordinal);
    }

    private string Display(string full) => Path.GetRelativePath(displayRoot, full).Replace('\\', '/');

    // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (...): "; we print the position ourselves.
    private static string CleanMessage(string message)
    {
        var marker = message.IndexOf("): ", StringComparison.Ordinal);
        return marker >= 0 && message.StartsWith("(Line", StringComparison.Ordinal) ? message[(marker + 3)..] : message;
    }
}
