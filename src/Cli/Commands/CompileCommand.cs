using System.CommandLine;
using Reconcile.Compiler.Formatting;
using Reconcile.Compiler.Rendering;

namespace Reconcile.Cli.Commands;

/// <summary>
/// `reconcile compile PATH... --out-dir DIR [--now T] [--templates DIR]`: validate, plan and render.
/// DIR gets graph.json/.dot/.mmd, summary.txt and DIR/&lt;cluster&gt;/static/*.yaml with a
/// kustomization.yaml; with several plans, one such tree per plan under DIR/&lt;plan&gt;/. On any
/// error nothing is written.
/// </summary>
public sealed class CompileCommand(IOContext io, Func<DateTime> clock)
{
    /// <summary>Where the files go when the output directory may not be written: the compile still reports its diagnostics.</summary>
    private sealed class DiscardedFiles : IFileSink
    {
        public void Add(string path, string content)
        {
        }

        public void Add(string path, Action<Stream> write)
        {
        }
    }

    public sealed record Arguments(IReadOnlyList<string> Paths, string Out, string? Now, string? Templates);

    public static Command CreateCommand(IOContext io, Func<DateTime> clock)
    {
        var paths = new Argument<string[]>("path") { Description = "Plan files or directories.", Arity = ArgumentArity.OneOrMore };
        // --out-dir, as -o means the output format everywhere (kubectl's habit); --out stays as an alias.
        var output = new Option<string>("--out-dir", "--out") { Description = "Output directory (replaced as a whole).", Required = true };
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
        // The output directory is judged first and written while rendering (a large campaign's files are
        // never held whole); a refused or unwritable one is reported after the diagnostics, as before any write.
        var full = Path.GetFullPath(arguments.Out, io.CurrentDirectory);
        var inputs = arguments.Paths.Append(arguments.Templates).OfType<string>().Select(p => Path.GetFullPath(p, io.CurrentDirectory));
        OutputWriter? writer = null;
        var problem = OutputDirectory.Refusal(full, inputs) ?? OutputDirectory.TryBegin(full, out writer);
        using var owned = writer;
        var run = PlanPipeline.Run(arguments.Paths, now, io, "compile", templates, writer ?? (IFileSink)new DiscardedFiles());
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

        if ((problem ?? (writer!.Commit() is { } failure ? $"cannot write '{arguments.Out}': {failure}" : null)) is { } refused)
        {
            io.Error.WriteLine($"reconcile: {refused}");
            return ExitCodes.Usage;
        }

        io.Out.WriteLine($"wrote {run.FileCount} files to {arguments.Out}");
        return ExitCodes.Success;
    }
}
