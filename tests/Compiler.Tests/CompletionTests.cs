namespace Reconcile.Compiler.Tests;

/// <summary>
/// `reconcile completion bash` in the real bash: sourced, its function completes commands, options and
/// option values by asking the installed reconcile (the [suggest] directive), as bash calls it on Tab.
/// </summary>
public sealed class CompletionTests
{
    [Fact]
    public void The_bash_script_completes_commands_options_and_values_by_asking_reconcile()
    {
        using var directory = new TempDirectory();
        var bin = directory.File("bin");
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Combine(bin, "reconcile"), Path.Combine(AppContext.BaseDirectory, "reconcile"));
        var output = new StringWriter();
        Assert.Equal(0, Reconcile.Cli.Program.Run(["completion", "bash"], new Reconcile.Cli.IOContext(output, new StringWriter(), directory.Path)));
        File.WriteAllText(directory.File("reconcile.bash"), output.ToString());
        var environment = new Dictionary<string, string> { ["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH") };

        // What bash sets before calling the function: the line, the cursor, the words and which one is completed.
        List<string> Complete(string line) => [.. ExternalTools.Succeed("bash", ["-c", """
            source reconcile.bash
            COMP_LINE="$1"; COMP_POINT=${#1}
            read -ra COMP_WORDS <<< "$1"; [[ "$1" == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            _reconcile_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """, "bash", line], directory.Path, environment).Split('\n', StringSplitOptions.RemoveEmptyEntries)];

        Assert.Equal(["status"], Complete("reconcile sta"));
        Assert.Equal(["suspend"], Complete("reconcile sus"));
        Assert.Contains("--watch", Complete("reconcile status --w"));
        Assert.Equal(["json"], Complete("reconcile status -o j"));
        Assert.Equal(["bash"], Complete("reconcile completion b"));
    }
}
