using Reconcile.Cli;

namespace Reconcile.Compiler.Tests.Hostile;

/// <summary>What the hostile-input catalogue shares: an example copied to tamper with, and the CLI run as a user runs it.</summary>
internal static class HostileCli
{
    /// <summary>Runs the CLI in <paramref name="cwd"/>; stdout and stderr together.</summary>
    public static (int Exit, string Output) Run(string cwd, params string[] args)
    {
        var output = new StringWriter();
        var exit = Program.Run(args, new IOContext(output, output, cwd));
        return (exit, output.ToString());
    }

    /// <summary>A copy of plans/examples/<paramref name="example"/> in a new temporary directory (in its <paramref name="into"/> folder when given).</summary>
    public static TempDirectory Example(string example, string into = "")
    {
        var tree = new TempDirectory();
        Directory.CreateDirectory(tree.File(into));
        foreach (var source in Directory.GetFiles(Repository.PathOf("plans", "examples", example)))
        {
            File.Copy(source, Path.Combine(tree.File(into), Path.GetFileName(source)));
        }

        return tree;
    }
}
