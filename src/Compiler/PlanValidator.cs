using System.Collections.Immutable;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Schema;
using Reconcile.Compiler.Semantics;
using Reconcile.Compiler.Semantics.Rules;

namespace Reconcile.Compiler;

/// <summary>The outcome of validation: every diagnostic, and the bound model when there is one.</summary>
public sealed record ValidationResult(IReadOnlyList<Diagnostic> Diagnostics, PlanSet Model, int FileCount, int DocumentCount)
{
    /// <summary>"sha256:…" of every document read (file, position and content), for the graph's source.digest.</summary>
    public string Digest { get; init; } = "";

    public int ErrorCount => Diagnostics.Count(d => d.Severity == Severity.Error);

    public int WarningCount => Diagnostics.Count(d => d.Severity == Severity.Warning);

    public bool HasErrors => ErrorCount > 0;

    /// <summary>True when the input itself could not be read (a missing path): the CLI exits 2, not 1.</summary>
    public bool HasInputProblem => Diagnostics.Any(d => DiagnosticCatalog.Find(d.Code)?.IsInputProblem == true);
}

/// <summary>
/// Load, schema, bind, semantic rules: every phase writes to one bag, and the result holds all
/// problems at once, sorted by position. Never throws for any input.
/// </summary>
public static class PlanValidator
{
    private static readonly ImmutableArray<ISetRule> SetRules = [new DuplicateDocumentsRule(), new TopologyConsistencyRule()];

    public static ValidationResult Validate(IReadOnlyList<string> paths, string displayRoot)
    {
        var load = SafeLoad(paths, displayRoot);
        var result = Validate(load);
        if (load.Documents.Count == 0 && load.Diagnostics.Count == 0)
        {
            var where = SourceLocation.StartOf(paths.Count > 0 ? paths[0] : ".");
            return result with
            {
                Diagnostics = [.. result.Diagnostics, DiagnosticCatalog.NoDocuments.At(where, $"no YAML documents found in {string.Join(", ", paths)}")],
            };
        }

        return result;
    }

    public static ValidationResult Validate(LoadResult load) => Validate(load, []);

    /// <summary>Validation with extra rules; tests use it to prove that a failing rule becomes RC1099.</summary>
    internal static ValidationResult Validate(LoadResult load, IReadOnlyList<IPlanRule> extraRules)
    {
        var bag = new DiagnosticBag();
        bag.WriteAll(load.Diagnostics);
        var model = new PlanSet([], [], []);
        try
        {
            var valid = new List<PlanDocument>();
            foreach (var document in load.Documents)
            {
                var problems = PlanSchema.Validate(document);
                if (AnnotationsTooLarge(document) is { } tooLarge)
                {
                    problems = [.. problems, tooLarge];
                }

                bag.WriteAll(problems);
                if (problems.Count == 0)
                {
                    valid.Add(document);
                }
            }

            var inputsIncomplete = valid.Count != load.Documents.Count || load.Diagnostics.Any(d => d.IsError);
            model = PlanBinder.Bind(valid, bag);
            foreach (var rule in SetRules)
            {
                rule.Check(model, bag);
            }

            IPlanRule[] planRules =
            [
                new PlanReferencesRule(inputsIncomplete), new SelectionRule(inputsIncomplete), new KubeVirtReleaseRule(), new SharedStorageRule(), new StagingRule(), new NetworkPathRule(), new MigrationIsolationRule(), new TransportRule(), new VmCompatibilityRule(), new CapacityRule(),
                new ConvergenceRule(), new TimeoutRule(), new WindowRule(), new LimitsRule(), new SuppressRule(), .. extraRules,
            ];
            foreach (var plan in model.Plans)
            {
                var scope = PlanScope.Create(plan, model);
                foreach (var rule in planRules)
                {
                    rule.Check(scope, bag);
                }
            }
        }
        catch (Exception e)
        {
            // A bug must still come out as a diagnostic, never as a stack trace.
            bag.Write(DiagnosticCatalog.InternalError.At(SourceLocation.StartOf(load.Documents.FirstOrDefault()?.File ?? "."),
                $"internal error: {e.GetType().Name}: {e.Message}"));
        }

        var suppressed = model.Plans.SelectMany(p => p.Suppress).ToHashSet(StringComparer.Ordinal);
        return new ValidationResult(bag.Assemble(suppressed), model, load.FileCount, load.Documents.Count) { Digest = DigestOf(load.Documents) };
    }

    /// <summary>The API server's limit on all annotations of an object together (256 KiB of keys and values).</summary>
    public const int MaxAnnotationBytes = 256 * 1024;

    private static Diagnostic? AnnotationsTooLarge(PlanDocument document)
    {
        // Any shape may arrive here (the schema has not judged it yet): only a mapping is looked into.
        if (document.Root is not System.Text.Json.Nodes.JsonObject root || root["metadata"] is not System.Text.Json.Nodes.JsonObject metadata ||
            metadata["annotations"] is not System.Text.Json.Nodes.JsonObject annotations)
        {
            return null;
        }

        var bytes = annotations.Sum(a => System.Text.Encoding.UTF8.GetByteCount(a.Key) + (a.Value is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var s) ? System.Text.Encoding.UTF8.GetByteCount(s) : 0));
        return bytes <= MaxAnnotationBytes ? null
            : DiagnosticCatalog.OutOfRange.At(document.KeyAt("/metadata/annotations"), $"metadata.annotations hold {bytes:N0} bytes; Kubernetes allows {MaxAnnotationBytes:N0} for all annotations of an object together");
    }

    private static string DigestOf(IEnumerable<PlanDocument> documents)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        // Each document's JSON goes to the hash as UTF-8 straight from a writer (the bytes ToJsonString gives),
        // not through a string of its own: an inventory of thousands of VMs is megabytes of it.
        var json = new System.Buffers.ArrayBufferWriter<byte>();
        using var writer = new System.Text.Json.Utf8JsonWriter(json);
        foreach (var document in documents.OrderBy(d => d.File, StringComparer.Ordinal).ThenBy(d => d.Index))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{document.File}\n{document.Index}\n"));
            json.ResetWrittenCount();
            writer.Reset(json);
            document.Root?.WriteTo(writer);
            writer.Flush();
            hash.AppendData(json.WrittenSpan);
            hash.AppendData("\n"u8);
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static LoadResult SafeLoad(IReadOnlyList<string> paths, string displayRoot)
    {
        try
        {
            return new PlanLoader(displayRoot).Load(paths);
        }
        catch (Exception e)
        {
            return new LoadResult([], [DiagnosticCatalog.InternalError.At(SourceLocation.StartOf(paths.FirstOrDefault() ?? "."),
                $"internal error while reading: {e.GetType().Name}: {e.Message}")], 0);
        }
    }
}
