using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace Reconcile.Compiler.Rendering;

/// <summary>
/// The templates manifests are rendered from: the defaults embedded from templates/, each replaceable
/// by a file of the same name in an override directory (`--templates DIR`). Nothing outside those two
/// places can be read, not even through `include`.
/// </summary>
public sealed class TemplateSet : ITemplateLoader
{
    private const string ResourcePrefix = "Reconcile.Compiler.templates.";
    private readonly string? overrides;
    private readonly string displayRoot;

    public TemplateSet(string? overrideDirectory = null, string? displayRoot = null)
    {
        overrides = overrideDirectory is null ? null : Path.GetFullPath(overrideDirectory);
        this.displayRoot = displayRoot ?? Environment.CurrentDirectory;
    }

    /// <summary>The template's text and the path diagnostics show for it; null when no such template exists.</summary>
    public (string Text, string DisplayPath)? Read(string name)
    {
        if (name.Contains('/') || name.Contains('\\') || name.StartsWith('.'))
        {
            return null;
        }

        if (overrides is not null && File.Exists(Path.Combine(overrides, name)))
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

    string ITemplateLoader.GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) => templateName;

    string ITemplateLoader.Load(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
        Read(templatePath)?.Text ?? throw new Scriban.Syntax.ScriptRuntimeException(callerSpan, $"template '{templatePath}' is not in the templates folder");

    ValueTask<string?> ITemplateLoader.LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
        ValueTask.FromResult<string?>(((ITemplateLoader)this).Load(context, callerSpan, templatePath));
}
