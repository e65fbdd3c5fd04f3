using System.CommandLine;
using Reconcile.Compiler.Formatting;
using Reconcile.Compiler.Rendering;

namespace Reconcile.Cli.Commands;

/// <summary>
/// `reconcile compile PATH... --out DIR [--now T] [--templates DIR]`: validate, plan and render.
/// DIR gets graph.json/.dot/.mmd, summary.txt and DIR/&lt;cluster&gt;/static/*.yaml with a
/// kustomization.yaml; with several plans, one such tree per plan under DIR/&lt;plan&gt;/. On any
/// error nothing is written.
/// </summary>
public sealed class CompileCommand(IOContext io, Func<DateTime> clock)
{
    public sealed record Arguments(IReadOnlyList<string> Paths, string Out, string? Now, string? Templates);

    public static Command CreateCommand(IOContext io, Func<DateTime> clock)
    {
        var paths = new Argument<string[]>("path") { Description = "Plan files or directories.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out", "-o") { Description = "Output directory (replaced as a whole).", Required = true };
        var now = new Option<string>("--now") { Description = "Plan as if it were this UTC time (RFC 3339); default: the current minute." };
        var templates = new Option<string>("--templates") { Description = "Directory whose files override the default templates of the same name." };
        var command = new Command("compile", "Validate, plan and render the manifests for every cluster.") { paths, output, now, templates };
        command.SetAction(parse => new CompileCommand(io, clock).Run(new Arguments(parse.GetValue(paths) ?? [], parse.GetValue(output)!, parse.GetValue(now), parse.GetValue(templates))));
        return command;
    }

    public int Run(Arguments arguments)
    {
        if (PlanPipeline.Arguments(arguments.Paths, arguments.Now, clock, io) is not { } now)
        {
            return ExitCodes.Usage;
        }

        if (arguments.Templates is { } dir && !Directory.Exists(Path.GetFullPath(dir, io.CurrentDirectory)))
        {
            io.Error.WriteLine($"reconcile: --templates '{dir}' is not a directory");
            return ExitCodes.Usage;
        }

        var templates = TemplateSet.For(arguments.Paths, arguments.Templates, io.CurrentDirectory);
        var run = PlanPipeline.Run(arguments.Paths, now, io, "compile", templates);
        io.Out.Write(DiagnosticRenderer.Text(run.Diagnostics));
        if (run.HasErrors)
        {
            return PlanPipeline.ExitCode(run);
        }

        if (run.Validation.Model.Plans.IsEmpty)
        {
            io.Error.WriteLine("reconcile: the paths hold no MigrationPlan to compile");
            return ExitCodes.Usage;
        }

        var inputs = arguments.Paths.Append(arguments.Templates).OfType<string>().Select(p => Path.GetFullPath(p, io.CurrentDirectory));
        if (OutputDirectory.TryReplace(Path.GetFullPath(arguments.Out, io.CurrentDirectory), run.Files, inputs) is { } problem)
        {
            io.Error.WriteLine($"reconcile: {problem}");
            return ExitCodes.Usage;
        }

        io.Out.WriteLine($"wrote {run.Files.Count} files to {arguments.Out}");
        return ExitCodes.Success;
    }
}
