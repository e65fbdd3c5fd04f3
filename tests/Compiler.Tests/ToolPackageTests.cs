using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;

namespace Reconcile.Compiler.Tests;

/// <summary>
/// The build users install is the fast one: `dotnet pack -p:ToolPack=true` of src/Cli gives a .NET tool
/// whose package for this platform is ReadyToRun-compiled, and it installs and runs outside the repository
/// with the real dotnet CLI (the README's install commands).
/// </summary>
public sealed class ToolPackageTests
{
    // What the pack reads besides src/: the embedded schema and templates, the central package versions.
    private static readonly string[] Sources = ["src/Compiler", "src/Reconciler", "src/Simulator", "src/Cli", "schema", "templates"];

    [Fact]
    public void The_packed_tool_installs_runs_outside_the_repository_and_is_precompiled()
    {
        using var work = new TempDirectory();
        var tree = Path.Combine(work.Path, "tree");
        CopySources(tree);
        // Packed from a Git checkout, as a clone is: the version carries the commit.
        ExternalTools.Git(tree, "init", "-q");
        ExternalTools.Git(tree, "add", "-A");
        ExternalTools.Git(tree, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "tree");
        var commit = ExternalTools.Git(tree, "rev-parse", "HEAD").Trim();
        var rid = RuntimeInformation.RuntimeIdentifier;
        var feed = Path.Combine(work.Path, "feed");
        var environment = new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
        var (exit, output, error) = ExternalTools.Run("dotnet", ["pack", "src/Cli", "-c", "Release", "-o", feed, "-p:ToolPack=true", $"-p:ToolRids={rid}"],
            timeoutMs: 600_000, workingDirectory: tree, environment: environment);
        Assert.True(exit == 0, output + error);
        Assert.Equal(new[] { "reconcile.0.1.0.nupkg", $"reconcile.{rid}.0.1.0.nupkg", "reconcile.any.0.1.0.nupkg" }.Order(StringComparer.Ordinal),
            Directory.GetFiles(feed).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList());

        var tools = Path.Combine(work.Path, "tools");
        ExternalTools.Succeed("dotnet", ["tool", "install", "--tool-path", tools, "reconcile", "--add-source", feed, "--version", "0.1.0"], work.Path, environment);
        var reconcile = Path.Combine(tools, "reconcile");
        Assert.Equal($"0.1.0+{commit}", ExternalTools.Succeed(reconcile, ["--version"], work.Path).Trim());
        var validated = ExternalTools.Run(reconcile, ["validate", Repository.PathOf("plans", "examples")], workingDirectory: work.Path);
        Assert.True(validated.Exit == 0, validated.Out + validated.Error);
        Assert.Contains("0 errors", validated.Out, StringComparison.Ordinal);

        // Linked as kubectl-reconcile, the installed command is a kubectl plugin (README, "Install").
        if (ExternalTools.Kubectl() is { } kubectl)
        {
            var bin = Path.Combine(work.Path, "bin");
            Directory.CreateDirectory(bin);
            File.CreateSymbolicLink(Path.Combine(bin, "kubectl-reconcile"), reconcile);
            var path = new Dictionary<string, string> { ["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH") };
            Assert.Equal($"0.1.0+{commit}", ExternalTools.Succeed(kubectl, ["reconcile", "--version"], work.Path, path).Trim());
        }

        // The platform's own package was installed, and its code is precompiled (a ReadyToRun header).
        var installed = Directory.GetFiles(Path.Combine(tools, ".store"), "reconcile.dll", SearchOption.AllDirectories);
        var assembly = Assert.Single(installed);
        Assert.Contains($"{Path.DirectorySeparatorChar}reconcile.{rid}{Path.DirectorySeparatorChar}", assembly, StringComparison.Ordinal);
        using var pe = new PEReader(File.OpenRead(assembly));
        Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"{assembly} is not ReadyToRun");
    }

    private static void CopySources(string tree)
    {
        foreach (var file in Directory.GetFiles(Repository.Root).Where(f => Path.GetFileName(f) is "Directory.Build.props" or "Directory.Packages.props" or "global.json" or "nuget.config" or "NuGet.Config"))
        {
            Directory.CreateDirectory(tree);
            File.Copy(file, Path.Combine(tree, Path.GetFileName(file)));
        }

        foreach (var folder in Sources)
        {
            foreach (var file in Directory.EnumerateFiles(Repository.PathOf(folder), "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(Repository.Root, file);
                if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
                {
                    continue;
                }

                var target = Path.Combine(tree, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }
    }
}
