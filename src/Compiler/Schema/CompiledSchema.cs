using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Reconcile.Compiler.Schema;

/// <summary>
/// schema/plan.schema.json turned, once, into a tree of checks that answers only "is this document
/// valid?" by walking the document's JSON nodes. Valid documents are nearly all of them, and this is
/// several times cheaper than the general engine (no copy into a JsonElement, no evaluation paths, no
/// results); an invalid document is evaluated again by JsonSchema.Net for its located diagnostics.
/// Only the keywords the plan schema uses are understood: any other keyword fails the compilation, so
/// the schema cannot grow a rule this checker would silently skip. CompiledSchemaAgreementTests checks
/// the two verdicts agree on every fixture and on generated documents.
/// </summary>
internal sealed class CompiledSchema
{
    /// <summary>Keywords that describe and never constrain (JSON Schema's annotations and identifiers).</summary>
    private static readonly HashSet<string> Annotations =
        new(["$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples", "deprecated"], StringComparer.Ordinal);

    private readonly JsonNode schemaRoot;
    private readonly Dictionary<string, Slot> references = new(StringComparer.Ordinal);
    private readonly Check root;

    private CompiledSchema(JsonNode schemaRoot)
    {
        this.schemaRoot = schemaRoot;
        root = Compile(schemaRoot, "#");
    }

    /// <summary>A compiled subschema: true when the instance satisfies it.</summary>
    private delegate bool Check(JsonNode? instance);

    /// <summary>Compiles <paramref name="schemaText"/>; throws when it uses a keyword this checker does not know.</summary>
    public static CompiledSchema FromText(string schemaText) =>
        new(JsonNode.Parse(schemaText) ?? throw new InvalidOperationException("the schema is empty"));

    public bool IsValid(JsonNode? instance) => root(instance);

    private Check Compile(JsonNode? schema, string path)
    {
        switch (schema)
        {
            case JsonValue boolean when boolean.GetValueKind() is JsonValueKind.True:
                return _ => true;
            case JsonValue boolean when boolean.GetValueKind() is JsonValueKind.False:
                return _ => false;
            case JsonObject keywords:
                var checks = new List<Check>();
                foreach (var (keyword, value) in keywords)
                {
                    // `then` compiles with its `if` (alone it constrains nothing).
                    if (!Annotations.Contains(keyword) && keyword != "then")
                    {
                        checks.Add(CompileKeyword(keywords, keyword, value, path));
                    }
                }

                return checks.Count switch
                {
                    0 => _ => true,
                    1 => checks[0],
                    _ => AllOf([.. checks]),
                };
            default:
                throw new InvalidOperationException($"{path}: a schema must be an object or a boolean");
        }
    }

    private Check CompileKeyword(JsonObject schema, string keyword, JsonNode? value, string parent)
    {
        var path = $"{parent}/{keyword}";
        return keyword switch
        {
            "$ref" => Reference(value!.GetValue<string>()),
            "type" => Type(value!),
            "enum" => Enum(value!.AsArray()),
            "const" => instance => JsonInstance.ValueEquals(instance, value),
            "properties" => Properties(value!.AsObject(), path),
            "required" => Required([.. value!.AsArray().Select(n => n!.GetValue<string>())]),
            "items" => Items(Compile(value, path)),
            "propertyNames" => PropertyNames(Compile(value, path)),
            "allOf" => AllOf([.. value!.AsArray().Select((s, i) => Compile(s, $"{path}/{i}"))]),
            "oneOf" => OneOf([.. value!.AsArray().Select((s, i) => Compile(s, $"{path}/{i}"))]),
            "if" => IfThen(Compile(value, path), schema["then"] is { } then ? Compile(then, $"{parent}/then") : null),
            "additionalProperties" => AdditionalProperties(schema, Compile(value, path)),
            "pattern" => Pattern(value!.GetValue<string>()),
            "minLength" => StringLength(value!.GetValue<int>(), atLeast: true),
            "maxLength" => StringLength(value!.GetValue<int>(), atLeast: false),
            "minItems" => ItemCount(value!.GetValue<int>(), atLeast: true),
            "maxItems" => ItemCount(value!.GetValue<int>(), atLeast: false),
            "uniqueItems" => value!.GetValue<bool>() ? UniqueItems : _ => true,
            "minimum" => Bound(JsonInstance.Number(value!), sign => sign >= 0),
            "maximum" => Bound(JsonInstance.Number(value!), sign => sign <= 0),
            "exclusiveMinimum" => Bound(JsonInstance.Number(value!), sign => sign > 0),
            "exclusiveMaximum" => Bound(JsonInstance.Number(value!), sign => sign < 0),
            _ => throw new InvalidOperationException($"{path}: the compiled schema does not support the keyword '{keyword}'"),
        };
    }

    /// <summary>A local reference ("#/$defs/Name"), compiled once; the indirection lets definitions refer to themselves.</summary>
    private Check Reference(string target)
    {
        if (!target.StartsWith("#/", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"only local references are supported, not '{target}'");
        }

        if (!references.TryGetValue(target, out var slot))
        {
            // The slot is registered before its target compiles, so a definition may refer to itself.
            slot = new Slot();
            references[target] = slot;
            var node = target[2..].Split('/').Aggregate(schemaRoot, (n, part) => n[part.Replace("~1", "/").Replace("~0", "~")]
                ?? throw new InvalidOperationException($"reference '{target}' points nowhere"));
            slot.Target = Compile(node, target);
        }

        return instance => slot.Target!(instance);
    }

    private static Check Type(JsonNode type)
    {
        if (type is not JsonArray many)
        {
            var single = type.GetValue<string>();
            JsonInstance.HasType(null, single); // an unknown type name fails here, at compilation
            return instance => JsonInstance.HasType(instance, single);
        }

        string[] allowed = [.. many.Select(t => t!.GetValue<string>())];
        return instance => Array.Exists(allowed, t => JsonInstance.HasType(instance, t));
    }

    private static Check Enum(JsonArray values)
    {
        JsonNode?[] allowed = [.. values];
        return instance =>
        {
            // A loop: enums are checked for values of every VM (mode, access modes), a lambda allocated per call.
            foreach (var value in allowed)
            {
                if (JsonInstance.ValueEquals(instance, value))
                {
                    return true;
                }
            }

            return false;
        };
    }

    private Check Properties(JsonObject properties, string path)
    {
        var byName = properties.ToDictionary(p => p.Key, p => Compile(p.Value, $"{path}/{p.Key}"), StringComparer.Ordinal);
        return instance =>
        {
            if (instance is JsonObject obj)
            {
                foreach (var (name, value) in obj)
                {
                    if (byName.TryGetValue(name, out var check) && !check(value))
                    {
                        return false;
                    }
                }
            }

            return true;
        };
    }

    /// <summary>additionalProperties: every member that `properties` does not name satisfies the subschema.</summary>
    private static Check AdditionalProperties(JsonObject schema, Check check)
    {
        var named = new HashSet<string>((schema["properties"] as JsonObject)?.Select(p => p.Key) ?? [], StringComparer.Ordinal);
        return instance =>
        {
            if (instance is JsonObject obj)
            {
                foreach (var (name, value) in obj)
                {
                    if (!named.Contains(name) && !check(value))
                    {
                        return false;
                    }
                }
            }

            return true;
        };
    }

    private static Check Required(string[] names) => instance =>
    {
        if (instance is JsonObject obj)
        {
            foreach (var name in names)
            {
                if (!obj.ContainsKey(name))
                {
                    return false;
                }
            }
        }

        return true;
    };

    private static Check Items(Check item) => instance =>
    {
        if (instance is JsonArray array)
        {
            foreach (var element in array)
            {
                if (!item(element))
                {
                    return false;
                }
            }
        }

        return true;
    };

    private static Check PropertyNames(Check name) =>
        instance => instance is not JsonObject obj || obj.All(p => name(JsonValue.Create(p.Key)));

    private static Check AllOf(Check[] all) => instance => AllHold(all, instance);

    private static Check OneOf(Check[] branches) => instance => branches.Count(b => b(instance)) == 1;

    private static Check IfThen(Check condition, Check? then) =>
        instance => then is null || !condition(instance) || then(instance);

    private static Check Pattern(string pattern)
    {
        // JSON Schema patterns are ECMA-262 (\d is ASCII only) and match anywhere unless anchored.
        var regex = new Regex(pattern, RegexOptions.ECMAScript | RegexOptions.CultureInvariant);
        return instance => JsonInstance.KindOf(instance) != JsonValueKind.String || regex.IsMatch(instance!.GetValue<string>());
    }

    private static Check StringLength(int limit, bool atLeast) => instance =>
        JsonInstance.KindOf(instance) != JsonValueKind.String
        || (JsonInstance.LengthOf(instance!.GetValue<string>()) is var length && (atLeast ? length >= limit : length <= limit));

    private static Check ItemCount(int limit, bool atLeast) =>
        instance => instance is not JsonArray array || (atLeast ? array.Count >= limit : array.Count <= limit);

    private static Check Bound(JsonNumber limit, Func<int, bool> holds) => instance =>
        JsonInstance.KindOf(instance) != JsonValueKind.Number || holds(JsonInstance.Compare(JsonInstance.Number(instance!), limit));

    /// <summary>uniqueItems by hashing each item's value, so a list of thousands stays linear.</summary>
    private static bool UniqueItems(JsonNode? instance)
    {
        if (instance is not JsonArray array)
        {
            return true;
        }

        var seen = new Dictionary<int, List<JsonNode?>>();
        foreach (var item in array)
        {
            var hash = JsonInstance.ValueHash(item);
            if (!seen.TryGetValue(hash, out var sameHash))
            {
                seen[hash] = [item];
            }
            else if (sameHash.Any(other => JsonInstance.ValueEquals(item, other)))
            {
                return false;
            }
            else
            {
                sameHash.Add(item);
            }
        }

        return true;
    }

    private static bool AllHold(Check[] checks, JsonNode? instance)
    {
        foreach (var check in checks)
        {
            if (!check(instance))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Where a compiled reference lands, filled in once its target has compiled.</summary>
    private sealed class Slot
    {
        public Check? Target { get; set; }
    }
}
