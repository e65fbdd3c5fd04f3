using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;

namespace Reconcile.Compiler.Schema;

/// <summary>
/// Validates documents against schema/plan.schema.json (embedded in this assembly) and turns each
/// evaluation error into a diagnostic at the YAML position of the offending value, or of the key
/// for an unknown field.
/// </summary>
public static partial class PlanSchema
{
    private const string ResourceName = "Reconcile.Compiler.plan.schema.json";

    private static readonly Lazy<(JsonSchema Schema, JsonNode Node)> Loaded = new(LoadSchema);

    public static string Text { get; } = ReadResource();

    private static Lazy<CompiledSchema> Compiled { get; } = new(() => CompiledSchema.FromText(Text));

    /// <summary>The general engine's verdict alone, for tests that hold the compiled checks to it.</summary>
    internal static bool IsValidByEngine(JsonNode? root) =>
        Loaded.Value.Schema.Evaluate(EngineInstance(root), new EvaluationOptions { OutputFormat = OutputFormat.Flag }).IsValid;

    /// <summary>The compiled checks' verdict alone.</summary>
    internal static bool IsValidByCompiledChecks(JsonNode? root) => Compiled.Value.IsValid(root);

    private static JsonSerializerOptions DeepNesting { get; } = new() { MaxDepth = 256 };

    /// <summary>Returns the schema problems of <paramref name="document"/>; empty when it is valid.</summary>
    public static IReadOnlyList<Diagnostic> Validate(PlanDocument document)
    {
        // Valid documents are the common case: the checks compiled from the schema answer for them
        // straight from the document's nodes, and only an invalid document pays for the general
        // engine's detailed evaluation that locates every error.
        if (Compiled.Value.IsValid(document.Root))
        {
            return [];
        }

        var (schema, schemaNode) = Loaded.Value;
        var instance = EngineInstance(document.Root);
        var results = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });

        var diagnostics = new List<Diagnostic>();
        var reportedOneOf = new HashSet<string>(StringComparer.Ordinal);
        // A oneOf with exactly one valid branch passed: its other branches' errors are no problem of the
        // document (they were reported as a false RC1016 whenever anything else in it was wrong).
        var validBranches = (results.Details ?? []).Where(d => d.IsValid && OneOfBranch().IsMatch(d.EvaluationPath.ToString()))
            .GroupBy(d => d.InstanceLocation + "|" + OneOfBranch().Match(d.EvaluationPath.ToString()).Groups[1].Value)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var detail in results.Details ?? [])
        {
            if (detail.Errors is null || detail.IsValid && detail.Errors.Count == 0)
            {
                continue;
            }

            // Errors of the branches inside oneOf are noise: the oneOf error itself says what to do.
            // A failed `if` only selects which `then` applies; it is not a problem of the document.
            var evaluationPath = detail.EvaluationPath.ToString();
            if (evaluationPath.Contains("/if", StringComparison.Ordinal))
            {
                continue;
            }

            var pointer = detail.InstanceLocation.ToString();

            // The library reports each failed oneOf branch, not the oneOf itself; one diagnostic per oneOf says it better.
            var oneOf = evaluationPath.IndexOf("/oneOf/", StringComparison.Ordinal);
            if (oneOf >= 0)
            {
                var oneOfPath = evaluationPath[..(oneOf + "/oneOf".Length)];
                if (validBranches.GetValueOrDefault(pointer + "|" + oneOfPath) != 1 && reportedOneOf.Add(pointer + "|" + oneOfPath))
                {
                    diagnostics.Add(ToDiagnostic(document, pointer, "oneOf", "", Resolve(schemaNode, oneOfPath[..^"/oneOf".Length]), Value(document.Root, pointer)));
                }

                continue;
            }

            var subschema = Resolve(schemaNode, evaluationPath);
            foreach (var (keyword, message) in detail.Errors)
            {
                diagnostics.Add(ToDiagnostic(document, pointer, keyword, message, subschema, Value(document.Root, pointer)));
            }
        }

        return diagnostics;
    }

    /// <summary>
    /// The document as the engine reads it. JsonSchema.Net 8 hashes uniqueItems' members as decimals and
    /// throws on a number beyond a decimal's range (1e300 in a list of node names was RC1099), so such
    /// numbers reach it as the largest decimal of their sign: still numbers, still whole, still beyond
    /// every bound in the schema, and every uniqueItems list in it holds strings, so no verdict changes.
    /// </summary>
    private static JsonElement EngineInstance(JsonNode? root) =>
        JsonSerializer.SerializeToElement(HasHugeNumber(root) ? ClampHugeNumbers(root) : root, DeepNesting);

    private static bool HasHugeNumber(JsonNode? node) => node switch
    {
        JsonObject o => o.Any(p => HasHugeNumber(p.Value)),
        JsonArray a => a.Any(HasHugeNumber),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => JsonInstance.Number(v).Exact is null,
        _ => false,
    };

    private static JsonNode? ClampHugeNumbers(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, ClampHugeNumbers(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(ClampHugeNumbers)]),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && JsonInstance.Number(v) is { Exact: null } huge =>
            JsonValue.Create(huge.Approximate > 0 ? decimal.MaxValue : decimal.MinValue),
        _ => node?.DeepClone(),
    };

    private static Diagnostic ToDiagnostic(PlanDocument document, string pointer, string keyword, string message, JsonNode? subschema, JsonNode? value)
    {
        var field = FieldPath(pointer);
        var where = document.ValueAt(pointer);
        switch (keyword)
        {
            case "" or "false":
                return DiagnosticCatalog.UnknownField.At(document.KeyAt(pointer),
                    $"unknown field '{LastToken(pointer)}' in {FieldPath(SourceMap.Parent(pointer))}");
            case "required":
                var names = QuotedNames().Matches(message).Select(m => m.Groups[1].Value).ToList();
                return DiagnosticCatalog.MissingField.At(where,
                    $"{field} is missing required field{(names.Count == 1 ? "" : "s")} {string.Join(", ", names.Select(n => $"'{n}'"))}");
            case "type":
                var expected = subschema?["type"] is JsonNode t ? Describe(t) : "another type";
                return DiagnosticCatalog.WrongType.At(where,
                    pointer.Length == 0
                        ? "a plan document must be a mapping with apiVersion, kind, metadata and spec"
                        : $"{field} must be {expected}, not {KindOf(value)}");
            case "enum":
                return DiagnosticCatalog.ValueNotAllowed.At(where,
                    $"{field} is {Show(value)}; allowed: {string.Join(", ", (subschema?["enum"] as JsonArray ?? []).Select(Show))}");
            case "const":
                return DiagnosticCatalog.ValueNotAllowed.At(where, $"{field} is {Show(value)}; it must be {Show(subschema?["const"])}");
            case "pattern":
                var expectation = subschema?["description"] is JsonValue d ? Lower(d.GetValue<string>()).TrimEnd('.') : "the documented format";
                var example = subschema?["examples"] is JsonArray { Count: > 0 } ex ? $", e.g. {ex[0]}" : "";
                return DiagnosticCatalog.BadFormat.At(where, $"{field} is {Show(value)}; expected {expectation}{example}");
            case "minimum" or "maximum" or "exclusiveMinimum" or "exclusiveMaximum" or "minLength" or "maxLength"
                or "minItems" or "maxItems" or "uniqueItems" or "minProperties" or "maxProperties":
                return DiagnosticCatalog.OutOfRange.At(where, $"{field}: {Lower(message)}");
            case "oneOf":
                return DiagnosticCatalog.SchemaViolation.At(where,
                    $"{field} must match exactly one of its forms{OneOfHint(subschema)}");
            default:
                return DiagnosticCatalog.SchemaViolation.At(where, $"{field}: {Lower(message)}");
        }
    }

    private static string OneOfHint(JsonNode? subschema) =>
        subschema?["description"] is JsonValue d ? $": {d}" : "";

    /// <summary>"/spec/clusters/0/mtu" becomes "spec.clusters[0].mtu".</summary>
    public static string FieldPath(string pointer)
    {
        if (pointer.Length == 0)
        {
            return "the document";
        }

        var builder = new System.Text.StringBuilder();
        foreach (var token in SourceMap.Tokens(pointer))
        {
            if (token.Length > 0 && token.All(char.IsAsciiDigit))
            {
                builder.Append('[').Append(token).Append(']');
            }
            else
            {
                if (builder.Length > 0)
                {
                    builder.Append('.');
                }

                builder.Append(token);
            }
        }

        return builder.ToString();
    }

    private static string LastToken(string pointer) => SourceMap.Tokens(pointer).LastOrDefault() ?? "";

    private static JsonNode? Value(JsonNode? root, string pointer)
    {
        var node = root;
        foreach (var token in SourceMap.Tokens(pointer))
        {
            node = node switch
            {
                JsonObject o => o[token],
                JsonArray a when int.TryParse(token, out var i) && i < a.Count => a[i],
                _ => null,
            };
        }

        return node;
    }

    private static string Describe(JsonNode type) => type switch
    {
        JsonArray many => string.Join(" or ", many.Select(t => Article(t!.GetValue<string>()))),
        _ => Article(type.GetValue<string>()),
    };

    private static string Article(string type) => type switch
    {
        "object" => "a mapping",
        "array" => "a list",
        "integer" => "an integer",
        "string" => "a string",
        "boolean" => "true or false",
        "number" => "a number",
        _ => type,
    };

    private static string KindOf(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "a mapping",
        JsonArray => "a list",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => $"the string {Show(v)}",
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => $"the boolean {v.ToJsonString()}",
        _ => $"the number {value.ToJsonString()}",
    };

    private static string Show(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => $"'{v.GetValue<string>()}'",
        _ => value.ToJsonString(),
    };

    private static string Lower(string message) =>
        message.Length > 0 ? char.ToLowerInvariant(message[0]) + message[1..] : message;

    /// <summary>
    /// Finds the subschema an error came from by walking its evaluation path through our schema,
    /// following local $refs (the library's own SchemaLocation is not reliable for nested $defs).
    /// </summary>
    private static JsonNode? Resolve(JsonNode schema, string evaluationPath)
    {
        var node = schema;
        var previous = "";
        foreach (var token in SourceMap.Tokens(evaluationPath))
        {
            if (token == "$ref" && node?["$ref"] is JsonValue reference && reference.GetValue<string>() is var target && target.StartsWith("#/", StringComparison.Ordinal))
            {
                node = schema;
                foreach (var part in target[2..].Split('/'))
                {
                    node = node?[part];
                }

                continue;
            }

            // JsonSchema.Net 8 writes the `items` keyword twice in evaluation paths ("items/items").
            if (token == "items" && previous == "items" && node?["items"] is null)
            {
                continue;
            }

            previous = token;
            node = node switch
            {
                JsonObject o => o[token],
                JsonArray a when int.TryParse(token, out var i) && i < a.Count => a[i],
                _ => null,
            };
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    private static (JsonSchema, JsonNode) LoadSchema()
    {
        var node = JsonNode.Parse(Text) ?? throw new InvalidOperationException("embedded schema is empty");
        return (JsonSchema.FromText(Text), node);
    }

    private static string ReadResource()
    {
        using var stream = typeof(PlanSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"missing embedded resource {ResourceName}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex("\"([^\"]+)\"")]
    private static partial Regex QuotedNames();

    /// <summary>An evaluation path that ends in a oneOf branch (…/oneOf/N); group 1 is the path to the oneOf.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("^(.*/oneOf)/[0-9]+$")]
    private static partial System.Text.RegularExpressions.Regex OneOfBranch();
}
