namespace Reconcile.Compiler.Tests;

/// <summary>Finds files of the repository the tests run in.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Reconcile.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Reconcile.sln not found above the test binaries");
    }
}
