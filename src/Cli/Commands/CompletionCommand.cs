using System.CommandLine;

namespace Reconcile.Cli.Commands;

/// <summary>
/// `reconcile completion bash|zsh|fish`: a script that completes commands, options and their values by
/// asking reconcile itself (System.CommandLine's [suggest:POSITION] directive with the line typed so far),
/// so completions always match the installed version. Load it with `source &lt;(reconcile completion bash)`.
/// </summary>
public static class CompletionCommand
{
    private const string Bash = """
        # reconcile completion for bash: source <(reconcile completion bash), e.g. in ~/.bashrc
        _reconcile_complete() {
          local IFS=$'\n'
          local candidates
          candidates=$(command "${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)
          COMPREPLY=($(compgen -W "${candidates}" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _reconcile_complete reconcile

        """;

    private const string Zsh = """
        #compdef reconcile
        # reconcile completion for zsh: source <(reconcile completion zsh), e.g. in ~/.zshrc after compinit
        _reconcile_complete() {
          local -a candidates
          candidates=("${(@f)$(command reconcile "[suggest:${CURSOR}]" "${BUFFER}" 2>/dev/null)}")
          compadd -a candidates
        }
        compdef _reconcile_complete reconcile

        """;

    private const string Fish = """
        # reconcile completion for fish: reconcile completion fish > ~/.config/fish/completions/reconcile.fish
        complete -c reconcile -f -a '(command reconcile "[suggest:"(string length -- (commandline -cp))"]" (commandline -cp) 2>/dev/null)'

        """;

    public static Command CreateCommand(IOContext io)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish." };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print the shell completion script for bash, zsh or fish.") { shell };
        command.SetAction(parse =>
        {
            io.Out.Write(parse.GetValue(shell) switch { "zsh" => Zsh, "fish" => Fish, _ => Bash });
            return ExitCodes.Success;
        });
        return command;
    }
}
