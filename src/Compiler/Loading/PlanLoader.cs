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
        var files = new List<(string Display, string Real)>();
        var roots = new List<string>();
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path, displayRoot);
            switch (FileKinds.Of(full, followLinks: true))
            {
                case EntryKind.Directory:
                    // The directory the user named is read, even through a link; links inside it are not followed.
                    var real = RealPath(full);
                    roots.Add(real);
                    Walk(full, real, files, diagnostics);
                    break;
                case EntryKind.Regular:
                    files.Add((full, RealPath(full)));
                    break;
                case EntryKind.Special:
                    diagnostics.Add(DiagnosticCatalog.NotARegularFile.At(SourceLocation.StartOf(Display(full)), $"'{path}' is not a regular file (a FIFO, device or socket); it is not read"));
                    break;
                default:
                    diagnostics.Add(DiagnosticCatalog.PathNotFound.At(SourceLocation.StartOf(Display(full)), $"path '{path}' does not exist"));
                    break;
            }
        }

        var documents = new List<PlanDocument>();
        var read = new HashSet<string>(StringComparer.Ordinal);
        var empty = new List<string>();
        foreach (var (display, real) in files)
        {
            // Each file once, however many links and paths name it.
            if (read.Add(real))
            {
                var (before, problems) = (documents.Count, diagnostics.Count);
                LoadFile(display, real, documents, diagnostics);
                if (documents.Count == before && diagnostics.Count == problems)
                {
                    empty.Add(Display(display));
                }
            }
        }

        return new LoadResult(documents, [.. diagnostics, .. EmptyFiles(empty, documents)], read.Count);

        void Walk(string directory, string realDirectory, List<(string, string)> found, List<Diagnostic> problems)
        {
            string[] entries;
            try
            {
                entries = [.. Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal)];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add(DiagnosticCatalog.NotRead.At(SourceLocation.StartOf(Display(directory)), $"directory '{Display(directory)}' cannot be read ({e.Message}); its files are skipped"));
                return;
            }

            foreach (var entry in entries)
            {
                var name = Path.GetFileName(entry);
                if (name.StartsWith('.'))
                {
                    continue;
                }

                var realEntry = Path.Combine(realDirectory, name);
                switch (FileKinds.Of(entry))
                {
                    case EntryKind.Directory:
                        Walk(entry, realEntry, found, problems);
                        break;
                    case EntryKind.Regular when IsPlanFile(name):
                        found.Add((entry, realEntry));
                        break;
                    case EntryKind.SymbolicLink:
                        Link(entry, found, problems);
                        break;
                    case EntryKind.Special when IsPlanFile(name):
                        problems.Add(DiagnosticCatalog.NotARegularFile.At(SourceLocation.StartOf(Display(entry)), $"'{Display(entry)}' is not a regular file (a FIFO, device or socket); it is not read"));
                        break;
                }
            }
        }

        void Link(string entry, List<(string, string)> found, List<Diagnostic> problems)
        {
            var target = File.ResolveLinkTarget(entry, returnFinalTarget: true)?.FullName;
            var kind = FileKinds.Of(entry, followLinks: true);
            if (kind == EntryKind.Directory)
            {
                problems.Add(DiagnosticCatalog.NotRead.At(SourceLocation.StartOf(Display(entry)), $"'{Display(entry)}' is a link to a directory; links to directories are not followed"));
            }
            else if (!IsPlanFile(Path.GetFileName(entry)))
            {
                return;
            }
            else if (target is null || !roots.Any(root => target == root || target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            {
                problems.Add(DiagnosticCatalog.NotARegularFile.At(SourceLocation.StartOf(Display(entry)), $"'{Display(entry)}' is a link that leaves the given paths; it is not read"));
            }
            else if (kind != EntryKind.Regular)
            {
                problems.Add(DiagnosticCatalog.NotARegularFile.At(SourceLocation.StartOf(Display(entry)), $"'{Display(entry)}' links to something that is not a regular file; it is not read"));
            }
            else
            {
                found.Add((entry, target));
            }
        }
    }

    /// <summary>The path with a link at its end resolved (the directories above it are taken as given).</summary>
    private static string RealPath(string full) =>
        FileKinds.Of(full) == EntryKind.SymbolicLink && File.ResolveLinkTarget(full, returnFinalTarget: true) is { } target ? target.FullName : full;

    /// <summary>Parses one YAML text; used for files and by tests that feed text directly.</summary>
    public static void LoadText(string displayPath, string text, List<PlanDocument> documents, List<Diagnostic> diagnostics)
    {
        var index = 0;
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(text.AsSpan())));
        try
        {
            using var reader = new StringReader(text);
            YamlTreeBuilder.Read(reader, (root, _) =>
            {
                if (root is not null)
                {
                    documents.Add(new PlanDocument(displayPath, index, YamlToJson.Convert(root), new SourceMap(displayPath, root, digest)));
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
            var at = YamlToJson.At(displayPath, e.Start);
            if (e.Message.Contains("tab", StringComparison.OrdinalIgnoreCase) && TabInIndentation(text, (int)e.Start.Line) is { } tab)
            {
                // YamlDotNet reports where the scalar before it began; the tab is where it has to be fixed.
                at = new SourceLocation(displayPath, tab.Line, tab.Column);
            }

            diagnostics.Add(DiagnosticCatalog.YamlSyntax.At(at, CleanMessage(e.Message)));
        }
    }

    /// <summary>A plan file held somewhere other than the file system (a Git tree): its display path, size and text.</summary>
    public sealed record SourceText(string DisplayPath, long Length, Func<string> Read);

    /// <summary>Loads files read from elsewhere with the same limits as files on disk.</summary>
    public static LoadResult LoadTexts(IReadOnlyList<SourceText> files)
    {
        var documents = new List<PlanDocument>();
        var diagnostics = new List<Diagnostic>();
        var empty = new List<string>();
        foreach (var file in files.OrderBy(f => f.DisplayPath, StringComparer.Ordinal))
        {
            if (file.Length > MaxFileBytes)
            {
                diagnostics.Add(TooLarge(file.DisplayPath, file.Length));
                continue;
            }

            var (before, problems) = (documents.Count, diagnostics.Count);
            LoadText(file.DisplayPath, file.Read(), documents, diagnostics);
            if (documents.Count == before && diagnostics.Count == problems)
            {
                empty.Add(file.DisplayPath);
            }
        }

        return new LoadResult(documents, [.. diagnostics, .. EmptyFiles(empty, documents)], files.Count);
    }

    /// <summary>
    /// A warning for each file that held no document, beside others that did (when none did, RC1006
    /// says so once): an empty file among the plans is how a truncated plan arrives in a pull request.
    /// </summary>
    private static IEnumerable<Diagnostic> EmptyFiles(List<string> empty, List<PlanDocument> documents) =>
        documents.Count == 0 ? [] : empty.Select(file => DiagnosticCatalog.EmptyFile.At(SourceLocation.StartOf(file), $"{file} holds no YAML document (it is empty or only comments)"));

    /// <summary>Whether a file (path relative to the folder searched) is read as a plan file: *.yaml or *.yml, in no hidden folder.</summary>
    public static bool IsPlanFile(string relativePath) =>
        (relativePath.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || relativePath.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)) &&
        !relativePath.Replace('\\', '/').Split('/').Any(part => part.StartsWith('.'));

    private static Diagnostic TooLarge(string display, long length) => DiagnosticCatalog.FileTooLarge.At(SourceLocation.StartOf(display),
        $"file is {length / (1024.0 * 1024.0):F1} MiB; the limit is {MaxFileBytes / (1024 * 1024)} MiB");

    private void LoadFile(string file, string real, List<PlanDocument> documents, List<Diagnostic> diagnostics)
    {
        var display = Display(file);
        try
        {
            // Checked again right before reading: a regular file, not something swapped in since the walk.
            if (FileKinds.Of(real) != EntryKind.Regular)
            {
                diagnostics.Add(DiagnosticCatalog.NotARegularFile.At(SourceLocation.StartOf(display), $"'{display}' is not a regular file; it is not read"));
                return;
            }

            var length = new FileInfo(real).Length;
            if (length > MaxFileBytes)
            {
                diagnostics.Add(TooLarge(display, length));
                return;
            }

            LoadText(display, File.ReadAllText(real, Encoding.UTF8), documents, diagnostics);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(DiagnosticCatalog.PathNotFound.At(SourceLocation.StartOf(display), $"cannot read file: {e.Message}"));
        }
    }

    private string Display(string full) => Path.GetRelativePath(displayRoot, full).Replace('\\', '/');

    /// <summary>The first tab in a line's indentation at or after <paramref name="fromLine"/> (1-based).</summary>
    private static (int Line, int Column)? TabInIndentation(string text, int fromLine)
    {
        var lines = text.Split('\n');
        for (var i = Math.Max(0, fromLine - 1); i < lines.Length; i++)
        {
            var indentation = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t', 0, indentation);
            if (tab >= 0)
            {
                return (i + 1, tab + 1);
            }
        }

        return null;
    }

    // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (...): "; we print the position ourselves.
    private static string CleanMessage(string message)
    {
        var marker = message.IndexOf("): ", StringComparison.Ordinal);
        return marker >= 0 && message.StartsWith("(Line", StringComparison.Ordinal) ? message[(marker + 3)..] : message;
    }
}
