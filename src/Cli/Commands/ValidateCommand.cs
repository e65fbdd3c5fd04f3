using System.CommandLine;
using Reconcile.Compiler;
using Reconcile.Compiler.Formatting;

namespace Reconcile.Cli.Commands;

/// <summary>`reconcile validate PATH... [-o text|json|sarif|github]`.</summary>
public sealed class ValidateCommand(IOContext io)
{
    public sealed record Arguments(IReadOnlyList<string> Paths, DiagnosticFormat Format);

    public static Command CreateCommand(IOContext io)
    {
        var paths = new Argument<string[]>("path")
        {
            Description = "Plan files or directories (searched recursively for *.yaml and *.yml).",
            Arity = ArgumentArity.OneOrMore,
        };
        // -o is the output format, as in kubectl; --format and -f stay as aliases.
        var format = new Option<string>("--output", "-o", "--format", "-f")
        {
            Description = "Output format.",
            DefaultValueFactory = _ => "text",
        };
        format.AcceptOnlyFromAmong("text", "json", "sarif", "github");
        var command = new Command("validate", "Check plan files against the schema and the pre-migration checklist.") { paths, format };
        command.SetAction(parse => new ValidateCommand(io).Run(new Arguments(
            parse.GetValue(paths) ?? [],
            Enum.Parse<DiagnosticFormat>(parse.GetValue(format) ?? "text", ignoreCase: true))));
        return command;
    }

    public int Run(Arguments arguments)
    {
        if (!PlanPipeline.PathsAreUsable(arguments.Paths, io))
        {
            return ExitCodes.Usage;
        }

        var result = PlanValidator.Validate(arguments.Paths, io.CurrentDirectory);
        io.Out.Write(DiagnosticRenderer.Render(result.Diagnostics, arguments.Format));
        if (arguments.Format != DiagnosticFormat.Text)
        {
            // Machine formats keep stdout clean; people still see the count.
            io.Error.WriteLine(DiagnosticRenderer.Summary(result.Diagnostics));
        }

        return result.HasInputProblem ? ExitCodes.Usage : result.HasErrors ? ExitCodes.Errors : ExitCodes.Success;
    }
}
