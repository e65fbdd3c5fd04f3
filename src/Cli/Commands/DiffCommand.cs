using System.CommandLine;
using Reconcile.Compiler;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Diffing;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Git;

namespace Reconcile.Cli.Commands;

/// <summary>
/// `reconcile diff --base REV [--head REV] PATH... [-o text|markdown|json]`: compiles the plan
/// tree at two revisions, read straight from Git (the working tree when --head is omitted), and
/// says what the change does to the campaign. Exit 0 unless the head revision has errors.
/// </summary>
public sealed class DiffCommand(IOContext io, Func<DateTime> clock)
{
    public sealed record Arguments(IReadOnlyList<string> Paths, string Base, string? Head, string Format, string? Now, string Threshold, string? Templates);

    public static Command CreateCommand(IOContext io, Func<DateTime> clock)
    {
        var paths = new Argument<string[]>("path") { Description = "Plan files or directories, inside the Git repository.", Arity = ArgumentArity.OneOrMore };
        var baseRev = new Option<string>("--base") { Description = "The revision to compare against (branch, tag, commit, HEAD~1, ...).", Required = true };
        var head = new Option<string>("--head") { Description = "The revision to compare; default: the working tree." };
        // -o is the output format, as in kubectl; --format and -f stay as aliases.
        var format = new Option<string>("--output", "-o", "--format", "-f") { Description = "Output format.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "markdown", "json");
        var now = new Option<string>("--now") { Description = "Plan both revisions as if it were this UTC time (RFC 3339); default: the current minute." };
        var threshold = new Option<string>("--threshold") { Description = "Report a VM whose planned start or end moves by at least this much.", DefaultValueFactory = _ => "10m" };
        var templates = new Option<string>("--templates") { Description = "Directory whose files override the default templates (both revisions)." };
        var command = new Command("diff", "Show what a change to the plans does to the campaign: diagnostics, stages, timing, windows, limits, manifests.")
        {
            paths, baseRev, head, format, now, threshold, templates,
        };
        command.SetAction(parse => new DiffCommand(io, clock).Run(new Arguments(parse.GetValue(paths) ?? [], parse.GetValue(baseRev)!, parse.GetValue(head),
            parse.GetValue(format)!, parse.GetValue(now), parse.GetValue(threshold)!, parse.GetValue(templates))));
        return command;
    }

    public int Run(Arguments arguments)
    {
        if (PlanPipeline.Arguments(arguments.Paths, arguments.Now, clock, io) is not { } now)
        {
            return ExitCodes.Usage;
        }

        if (Quantities.Duration(arguments.Threshold) is not { } threshold)
        {
            io.Error.WriteLine($"reconcile: --threshold '{arguments.Threshold}' is not a duration such as 10m or 1h30m");
            return ExitCodes.Usage;
        }

        if (RevisionFiles.RepositoryRoot(io.CurrentDirectory) is not { } root)
        {
            io.Error.WriteLine($"reconcile: {io.CurrentDirectory} is not inside a Git repository");
            return ExitCodes.Usage;
        }

        var inRepository = new List<string>();
        foreach (var path in arguments.Paths)
        {
            var relative = Path.GetRelativePath(root, Path.GetFullPath(path, io.CurrentDirectory)).Replace('\\', '/');
            if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
            {
                io.Error.WriteLine($"reconcile: '{path}' is outside the repository at {root}");
                return ExitCodes.Usage;
            }

            inRepository.Add(relative);
        }

        var templates = new TemplateSet(arguments.Templates is null ? null : Path.GetFullPath(arguments.Templates, io.CurrentDirectory), io.CurrentDirectory);
        var before = Compile(root, arguments.Base, inRepository, now, templates);
        if (before.Problem is { } baseProblem)
        {
            io.Error.WriteLine($"reconcile: --base {baseProblem}");
            return ExitCodes.Usage;
        }

        var after = arguments.Head is { } headRev
            ? Compile(root, headRev, inRepository, now, templates)
            : (Label: "working tree", Result: Compilation.Run(PlanValidator.Validate([.. inRepository.Select(p => Path.Combine(root, p))], root), now, templates), Problem: null);
        if (after.Problem is { } headProblem)
        {
            io.Error.WriteLine($"reconcile: --head {headProblem}");
            return ExitCodes.Usage;
        }

        var diff = CampaignComparer.Compare(before.Label, before.Result!, after.Label, after.Result!, threshold);
        io.Out.Write(arguments.Format switch
        {
            "markdown" => DiffWriter.Markdown(diff),
            "json" => DiffWriter.Json(diff),
            _ => DiffWriter.Text(diff),
        });
        return after.Result!.Validation.HasInputProblem ? ExitCodes.Usage : diff.HeadHasErrors ? ExitCodes.Errors : ExitCodes.Success;
    }

    private static (string Label, CompilationResult? Result, string? Problem) Compile(string root, string revision, IReadOnlyList<string> paths, DateTime now, TemplateSet templates)
    {
        var lookup = RevisionFiles.Resolve(root, revision);
        if (lookup.CommitId is not { } commit)
        {
            return (revision, null, lookup.Problem);
        }

        var (files, missing) = RevisionFiles.Read(root, commit, paths);
        var load = PlanLoader.LoadTexts(files);
        // A path missing at that revision is a diagnostic of that revision (the plan may be new), not a usage error.
        var absent = missing.Select(p => DiagnosticCatalog.PathNotFound.At(SourceLocation.StartOf(p), $"path '{p}' does not exist at {revision}"));
        load = load with { Diagnostics = [.. load.Diagnostics, .. absent] };
        return ($"{revision} ({commit[..12]})", Compilation.Run(PlanValidator.Validate(load), now, templates), null);
    }
}
