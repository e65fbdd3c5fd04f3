using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Execution;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Rendering;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler;

/// <summary>
/// One plan's planning and rendering as a later compilation may take it over when nothing the plan reads
/// changed (<see cref="Key"/>, from <see cref="PlanInputs.Key"/>): the graph as the planner made it (its
/// diagnostics the planner's alone, since validation's belong to the whole revision), the renderer's
/// diagnostics, the step manifests, and every file rendered under the plan's folder except run/, whose
/// MigrationRun carries the revision's digest and is rendered again.
/// </summary>
public sealed record ReusablePlan(
    string Key,
    ExecutionGraph Planned,
    IReadOnlyList<Diagnostic> RenderDiagnostics,
    IReadOnlyDictionary<string, StepManifest> Manifests,
    IReadOnlyList<KeyValuePair<string, string>> Files);

/// <summary>What a plan's compilation reads, as one key: equal keys give equal graphs and files at the same time.</summary>
public static class PlanInputs
{
    /// <summary>
    /// SHA-256 over the plan's folder in the output tree (<paramref name="prefix"/>, which depends on how many
    /// plans there are), the templates, and the whole text of every file holding the plan, its topology or an
    /// inventory it reads (another plan in one of those files counts too: the key errs towards compiling
    /// again). The planner and the renderer read nothing else but the time, which a reused plan keeps from
    /// the compilation that planned it, as a revision whose plans did not change at all keeps its graphs.
    /// <paramref name="templates"/> is <see cref="TemplateSet.Identity"/>; null (templates from a directory, which
    /// may change between two compilations) gives no key.
    /// </summary>
    public static string? Key(MigrationPlan plan, PlanSet model, string? templates, string prefix)
    {
        if (templates is not { } identity)
        {
            return null;
        }

        var sources = new SortedDictionary<string, string>(StringComparer.Ordinal) { [plan.Source.Map.File] = plan.Source.Map.TextDigest };
        if (PlanScope.TopologyOf(plan, model) is { } topology)
        {
            sources[topology.Source.Map.File] = topology.Source.Map.TextDigest;
        }

        foreach (var inventory in PlanScope.InventoriesOf(plan, model))
        {
            sources[inventory.Source.Map.File] = inventory.Source.Map.TextDigest;
        }

        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        Append(hash, plan.Name);
        Append(hash, prefix);
        Append(hash, identity);
        foreach (var (file, digest) in sources)
        {
            Append(hash, file);
            Append(hash, digest);
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Length-prefixed, so that no two sequences of parts hash the same text.</summary>
    private static void Append(System.Security.Cryptography.IncrementalHash hash, string part) =>
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{part.Length}:{part}\n"));
}

/// <summary>Passes files on and keeps the text ones, except run/, for a <see cref="ReusablePlan"/>; a file written as a stream makes it unusable.</summary>
internal sealed class RecordingFileSink(IFileSink inner) : IFileSink
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<KeyValuePair<string, string>> files = new();
    private volatile bool complete = true;

    /// <summary>The files kept, or null when one could not be kept.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Files => complete ? [.. files] : null;

    public void Add(string path, string content)
    {
        inner.Add(path, content);
        if (!path.StartsWith("run/", StringComparison.Ordinal))
        {
            files.Enqueue(new(path, content));
        }
    }

    public void Add(string path, Action<Stream> write)
    {
        inner.Add(path, write);
        complete = false;
    }
}
