using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace Reconcile.Compiler.Rendering;

/// <summary>
/// The templates manifests are rendered from: the defaults embedded from templates/, each replaceable
/// by a file of the same name in an override directory (`--templates DIR`, or a `templates/` folder in
/// the plans' directory), or by a template of the same name read from a Git revision (the reconciler).
/// Nothing outside those places can be read, not even through `include`.
/// </summary>
public sealed class TemplateSet : ITemplateLoader
{
    private const string ResourcePrefix = "Reconcile.Compiler.templates.";
    /// <summary>The folder inside a plans directory whose templates override the defaults.</summary>
    public const string FolderName = "templates";

    private readonly string? overrides;
    private readonly string displayRoot;
    private readonly IReadOnlyDictionary<string, (string Text, string DisplayPath)>? texts;

    public TemplateSet(string? overrideDirectory = null, string? displayRoot = null)
    {
        overrides = overrideDirectory is null ? null : Path.GetFullPath(overrideDirectory);
        this.displayRoot = displayRoot ?? Environment.CurrentDirectory;
    }

    /// <summary>Overrides given as texts (name to text and the path diagnostics show), as a Git revision holds them.</summary>
    public TemplateSet(IReadOnlyDictionary<string, (string Text, string DisplayPath)> overrides)
    {
        texts = overrides;
        displayRoot = Environment.CurrentDirectory;
    }

    /// <summary>
    /// The templates for plans under <paramref name="paths"/>: <paramref name="explicitDirectory"/> when given,
    /// else the `templates/` folder of the first path that is a directory holding one, else the defaults.
    /// </summary>
    public static TemplateSet For(IReadOnlyList<string> paths, string? explicitDirectory, string currentDirectory)
    {
        if (explicitDirectory is not null)
        {
            return new TemplateSet(Path.GetFullPath(explicitDirectory, currentDirectory), currentDirectory);
        }

        var beside = paths.Select(p => Path.Combine(Path.GetFullPath(p, currentDirectory), FolderName)).FirstOrDefault(d => Directory.Exists(d) && !new DirectoryInfo(d).Attributes.HasFlag(FileAttributes.ReparsePoint));
        return new TemplateSet(beside, currentDirectory);
    }

    /// <summary>
    /// What the templates are, as a digest for reusing an earlier rendering: the defaults alone, or overrides
    /// given as texts (names, paths and texts). Null for an override directory, whose files may change
    /// between two reads, so nothing rendered with it is reused.
    /// </summary>
    public string? Identity
    {
        get
        {
            if (overrides is not null)
            {
                return null;
            }

            if (texts is null || texts.Count == 0)
            {
                return "defaults";
            }

            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            foreach (var (name, (text, display)) in texts.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{name.Length}:{name}{display.Length}:{display}{text.Length}:{text}"));
            }

            return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        }
    }

    /// <summary>The template's text and the path diagnostics show for it; null when no such template exists.</summary>
    public (string Text, string DisplayPath)? Read(string name)
    {
        if (name.Contains('/') || name.Contains('\\') || name.StartsWith('.'))
        {
            return null;
        }

        if (texts is not null && texts.TryGetValue(name, out var given))
        {
            return given;
        }

        if (overrides is not null && Loading.FileKinds.Of(Path.Combine(overrides, name)) == Loading.EntryKind.Regular)
        {
            var path = Path.Combine(overrides, name);
            return (File.ReadAllText(path), Path.GetRelativePath(displayRoot, path).Replace('\\', '/'));
        }

        using var stream = typeof(TemplateSet).Assembly.GetManifestResourceStream(ResourcePrefix + name);
        if (stream is null)
        {
            return null;
        }

        using var reader = new StreamReader(stream);
        return (reader.ReadToEnd(), "templates/" + name);
    }

    /// <summary>
    /// Templates in the override directory that are not read: symbolic links (one rendered /etc/passwd into
    /// manifests), FIFOs and devices. Each is an error, so nothing renders with the default in its place.
    /// </summary>
    public IReadOnlyList<Diagnostics.Diagnostic> Refusals()
    {
        if (overrides is null || !Directory.Exists(overrides))
        {
            return [];
        }

        return [.. Directory.EnumerateFileSystemEntries(overrides, "*.sbn").Order(StringComparer.Ordinal)
            .Where(path => Loading.FileKinds.Of(path) != Loading.EntryKind.Regular)
            .Select(path => Diagnostics.DiagnosticCatalog.NotARegularFile.At(Diagnostics.SourceLocation.StartOf(Path.GetRelativePath(displayRoot, path).Replace('\\', '/')),
                $"template {Path.GetFileName(path)} is a symbolic link or not a regular file; templates are read only as files of their own"))];
    }

    string ITemplateLoader.GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) => templateName;

    string ITemplateLoader.Load(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
        Read(templatePath)?.Text ?? throw new Scriban.Syntax.ScriptRuntimeException(callerSpan, $"template '{templatePath}' is not in the templates folder");

    ValueTask<string?> ITemplateLoader.LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
        ValueTask.FromResult<string?>(((ITemplateLoader)this).Load(context, callerSpan, templatePath));
}
