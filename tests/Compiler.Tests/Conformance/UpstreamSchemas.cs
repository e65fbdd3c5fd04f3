using System.Text.Json.Nodes;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;

namespace Reconcile.Compiler.Tests.Conformance;

/// <summary>
/// The upstream API schemas in ../shared/ref (KubeVirt CRD openAPIV3Schemas, Kubernetes 1.35 OpenAPI v3),
/// and a strict structural check of an object against them: unknown fields, wrong types, missing
/// required fields and values outside an enum all fail — stricter than an API server, which would
/// prune unknown fields silently.
/// </summary>
internal sealed class UpstreamSchemas
{
    private readonly Dictionary<string, JsonNode> components = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonNode> definitions = new(StringComparer.Ordinal);
    private readonly Dictionary<(string ApiVersion, string Kind), JsonNode> roots = [];
    private bool patch;

    /// <summary>The KubeVirt releases whose API ../shared/ref holds (kubevirt/versions/&lt;tag&gt;/swagger.json).</summary>
    public static readonly string[] Releases = ["v1.6.2", "v1.7.4", "v1.8.4", "v1.9.0"];

    /// <param name="release">A tag from <see cref="Releases"/>: KubeVirt's kinds are checked against that release's
    /// swagger alone (only the kinds and fields it serves); null: against main's CRD schemas and swagger.</param>
    private UpstreamSchemas(string reference, string? release)
    {
        foreach (var file in new[] { "kubernetes/k8s-1.35-api__v1_openapi.json", "kubernetes/k8s-1.35-apis__networking.k8s.io__v1_openapi.json" })
        {
            foreach (var (name, schema) in JsonNode.Parse(File.ReadAllText(Path.Combine(reference, file)))!["components"]!["schemas"]!.AsObject())
            {
                components.TryAdd(name, schema!);
            }
        }

        // KubeVirt's swagger (OpenAPI 2) covers kinds whose CRD schema is not in ../shared/ref.
        var swagger = release is null ? "kubevirt/swagger.json" : $"kubevirt/versions/{release}/swagger.json";
        foreach (var (name, schema) in JsonNode.Parse(File.ReadAllText(Path.Combine(reference, swagger)))!["definitions"]!.AsObject())
        {
            definitions.TryAdd(name, schema!);
        }

        roots[("snapshot.kubevirt.io/v1beta1", "VirtualMachineSnapshot")] = definitions["v1beta1.VirtualMachineSnapshot"];
        roots[("kubevirt.io/v1", "VirtualMachineInstance")] = definitions["v1.VirtualMachineInstance"];
        // export.kubevirt.io: v1beta1 up to v1.8, v1 (beside v1beta1) from v1.9.
        foreach (var version in new[] { "v1beta1", "v1" }.Where(v => definitions.ContainsKey($"{v}.VirtualMachineExport")))
        {
            roots[($"export.kubevirt.io/{version}", "VirtualMachineExport")] = definitions[$"{version}.VirtualMachineExport"];
        }

        // CDI's DataVolume kind is not in ../shared/ref; its spec is (DataVolumeSpec, as used by dataVolumeTemplates).
        roots[("cdi.kubevirt.io/v1beta1", "DataVolume")] = JsonNode.Parse("""
            {"type": "object", "required": ["spec"], "properties": {
              "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
              "spec": {"$ref": "#/definitions/v1beta1.DataVolumeSpec"}}}
            """)!;
        roots[("networking.k8s.io/v1", "NetworkPolicy")] = components["io.k8s.api.networking.v1.NetworkPolicy"];
        // multi-networkpolicy's v1beta1 is NetworkPolicy's schema under another group (its README; pkg/apis/k8s.cni.cncf.io/v1beta1/types.go),
        // without endPort, which the check below then rejects.
        roots[("k8s.cni.cncf.io/v1beta1", "MultiNetworkPolicy")] = WithoutEndPort(components);
        roots[("monitoring.coreos.com/v1", "PrometheusRule")] = PrometheusRule(reference);
        // csi-addons VolumeReplication is not in ../shared/ref: its spec as the Go types define it
        // (csi-addons/kubernetes-csi-addons d4d7fea4, api/replication.storage/v1alpha1/volumereplication_types.go:
        // volumeReplicationClass, replicationState primary|secondary|resync, dataSource a TypedLocalObjectReference,
        // autoResync, replicationHandle); required fields are left to the live object, as a patch may omit them.
        roots[("replication.storage.openshift.io/v1alpha1", "VolumeReplication")] = JsonNode.Parse("""
            {"type": "object", "required": ["spec"], "properties": {
              "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
              "spec": {"type": "object", "additionalProperties": false, "required": ["replicationState"], "properties": {
                "volumeReplicationClass": {"type": "string"},
                "replicationState": {"type": "string", "enum": ["primary", "secondary", "resync"]},
                "dataSource": {"type": "object", "additionalProperties": false, "required": ["kind", "name"], "properties": {
                  "apiGroup": {"type": "string"}, "kind": {"type": "string"}, "name": {"type": "string"}}},
                "autoResync": {"type": "boolean"},
                "replicationHandle": {"type": "string"}}}}}
            """)!;
        if (release is null)
        {
            roots[("migrations.kubevirt.io/v1alpha1", "MigrationPolicy")] = Crd(reference, "kubevirt/crd-schema-migrationpolicy.yaml");
            roots[("kubevirt.io/v1", "VirtualMachineInstanceMigration")] = Crd(reference, "kubevirt/crd-schema-virtualmachineinstancemigration.yaml");
            roots[("kubevirt.io/v1", "VirtualMachine")] = Crd(reference, "kubevirt/crd-schema-virtualmachine.yaml");
        }
        else
        {
            roots[("migrations.kubevirt.io/v1alpha1", "MigrationPolicy")] = definitions["v1alpha1.MigrationPolicy"];
            roots[("kubevirt.io/v1", "VirtualMachineInstanceMigration")] = definitions["v1.VirtualMachineInstanceMigration"];
            roots[("kubevirt.io/v1", "VirtualMachine")] = definitions["v1.VirtualMachine"];
        }
    }

    /// <summary>The schemas, or null with the reason when ../shared/ref is not beside the repository.</summary>
    public static (UpstreamSchemas? Schemas, string? Missing) Load(string? release = null)
    {
        var reference = Path.GetFullPath(Path.Combine(Repository.Root, "..", "shared", "ref"));
        return Directory.Exists(reference)
            ? (new UpstreamSchemas(reference, release), null)
            : (null, $"upstream schemas not found at {reference} (../shared is not beside this checkout)");
    }

    /// <summary>Adds the schema of a CRD Reconcile itself renders (its objects are checked against it).</summary>
    public void AddCrd(JsonObject crd)
    {
        var group = crd["spec"]!["group"]!.GetValue<string>();
        var kind = crd["spec"]!["names"]!["kind"]!.GetValue<string>();
        foreach (var version in crd["spec"]!["versions"]!.AsArray())
        {
            roots[($"{group}/{version!["name"]!.GetValue<string>()}", kind)] = version["schema"]!["openAPIV3Schema"]!;
        }
    }

    public bool Knows(string apiVersion, string kind) => roots.ContainsKey((apiVersion, kind));

    /// <param name="patch">A server-side-apply patch: only the fields it sets are checked; required fields come from the live object.</param>
    public List<string> Check(JsonObject manifest, bool patch = false)
    {
        this.patch = patch;
        var problems = new List<string>();
        var key = (manifest["apiVersion"]?.GetValue<string>() ?? "", manifest["kind"]?.GetValue<string>() ?? "");
        if (!roots.TryGetValue(key, out var schema))
        {
            problems.Add($"no upstream schema for {key.Item1} {key.Item2}");
            return problems;
        }

        Check(manifest, schema, "", problems);
        return problems;
    }

    /// <summary>NetworkPolicy's schema with its spec, rules and ports copied under new names, the port without endPort.</summary>
    private static JsonNode WithoutEndPort(Dictionary<string, JsonNode> components)
    {
        const string Prefix = "#/components/schemas/";
        var renamed = new[] { "NetworkPolicy", "NetworkPolicySpec", "NetworkPolicyIngressRule", "NetworkPolicyEgressRule", "NetworkPolicyPort" }
            .ToDictionary(n => $"io.k8s.api.networking.v1.{n}", n => $"k8s.cni.cncf.io.v1beta1.Multi{n}", StringComparer.Ordinal);
        void Rewire(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    if (obj["$ref"] is JsonValue reference && reference.GetValue<string>() is var target &&
                        target.StartsWith(Prefix, StringComparison.Ordinal) && renamed.TryGetValue(target[Prefix.Length..], out var copy))
                    {
                        obj["$ref"] = Prefix + copy;
                    }

                    foreach (var (_, child) in obj.ToList())
                    {
                        Rewire(child);
                    }

                    break;
                case JsonArray array:
                    foreach (var child in array)
                    {
                        Rewire(child);
                    }

                    break;
            }
        }

        foreach (var (original, copy) in renamed)
        {
            var schema = components[original].DeepClone();
            Rewire(schema);
            components[copy] = schema;
        }

        components["k8s.cni.cncf.io.v1beta1.MultiNetworkPolicyPort"]["properties"]!.AsObject().Remove("endPort");
        return components["k8s.cni.cncf.io.v1beta1.MultiNetworkPolicy"];
    }

    private static JsonNode Crd(string reference, string file) => Yaml(Path.Combine(reference, file))["openAPIV3Schema"]!;

    private static JsonNode PrometheusRule(string reference)
    {
        var crd = Yaml(Path.Combine(reference, "prometheus-operator/monitoring.coreos.com_prometheusrules.yaml"));
        return crd["spec"]!["versions"]!.AsArray().First(v => v!["name"]!.GetValue<string>() == "v1")!["schema"]!["openAPIV3Schema"]!;
    }

    private static JsonObject Yaml(string path)
    {
        var documents = new List<PlanDocument>();
        var diagnostics = new List<Diagnostic>();
        PlanLoader.LoadText(path, File.ReadAllText(path), documents, diagnostics);
        Assert.Empty(diagnostics);
        return (JsonObject)documents.Single().Root!;
    }

    private JsonNode Resolve(JsonNode schema)
    {
        while (schema["$ref"] is JsonValue reference)
        {
            var target = reference.GetValue<string>();
            schema = target.StartsWith("#/definitions/", StringComparison.Ordinal)
                ? definitions[target["#/definitions/".Length..]]
                : components[target["#/components/schemas/".Length..]];
        }

        return schema;
    }

    private void Check(JsonNode? value, JsonNode schema, string path, List<string> problems)
    {
        schema = Resolve(schema);
        if (schema["allOf"] is JsonArray all)
        {
            // Kubernetes' OpenAPI wraps a $ref in allOf to add a description or default; the parts say it all.
            foreach (var part in all)
            {
                Check(value, part!, path, problems);
            }

            return;
        }

        if (value is null)
        {
            if (schema["nullable"]?.GetValue<bool>() != true)
            {
                problems.Add($"{path}: null is not allowed");
            }

            return;
        }

        if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true || schema["format"]?.GetValue<string>() == "int-or-string")
        {
            if (!IsKind(value, "integer") && !IsKind(value, "string"))
            {
                problems.Add($"{path}: expected an integer or a string");
            }

            return;
        }

        foreach (var alternatives in new[] { schema["anyOf"], schema["oneOf"] }.OfType<JsonArray>())
        {
            if (!alternatives.Any(a => { var p = new List<string>(); Check(value, a!, path, p); return p.Count == 0; }))
            {
                problems.Add($"{path}: matches none of its alternatives");
            }
        }

        // OpenAPI 2 allows a list of types (KubeVirt's swagger gives Quantity as string, integer or number).
        var types = schema["type"] switch
        {
            JsonArray list => list.Select(t => t!.GetValue<string>()).ToList(),
            JsonValue one => [one.GetValue<string>()],
            _ => [],
        };
        if (types.Count > 0 && !types.Any(t => IsKind(value, t)))
        {
            problems.Add($"{path}: expected {string.Join(" or ", types)}, got {value.GetValueKind().ToString().ToLowerInvariant()}");
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            problems.Add($"{path}: {value.ToJsonString()} is not one of {allowed.ToJsonString()}");
        }

        if (value is JsonObject obj)
        {
            CheckObject(obj, schema, path, problems);
        }
        else if (value is JsonArray array && schema["items"] is { } items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Check(array[i], items, $"{path}[{i}]", problems);
            }
        }
    }

    private void CheckObject(JsonObject obj, JsonNode schema, string path, List<string> problems)
    {
        foreach (var required in patch ? [] : schema["required"]?.AsArray().Select(r => r!.GetValue<string>()) ?? [])
        {
            if (!obj.ContainsKey(required))
            {
                problems.Add($"{path}: missing required field {required}");
            }
        }

        var properties = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"];
        var preserve = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
        foreach (var (name, child) in obj)
        {
            var childPath = path.Length == 0 ? name : $"{path}.{name}";
            if (properties?[name] is { } property)
            {
                // A CRD's metadata is `type: object` only; the API server checks it as ObjectMeta, and so do we.
                var isCrdMetadata = name == "metadata" && Resolve(property)["properties"] is null && (path.Length == 0 || path.EndsWith("]", StringComparison.Ordinal) || path.EndsWith("template", StringComparison.Ordinal));
                Check(child, isCrdMetadata ? components["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"] : property, childPath, problems);
            }
            else if (additional is JsonObject additionalSchema)
            {
                Check(child, additionalSchema, childPath, problems);
            }
            else if (!preserve && !(additional is JsonValue a && a.GetValue<bool>()))
            {
                problems.Add($"{childPath}: unknown field");
            }
        }
    }

    private static bool IsKind(JsonNode value, string type) => type switch
    {
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => value.GetValueKind() == System.Text.Json.JsonValueKind.String,
        "boolean" => value.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
        "integer" => value.GetValueKind() == System.Text.Json.JsonValueKind.Number && value is JsonValue v && (v.TryGetValue<long>(out _) || v.TryGetValue<double>(out var d) && Math.Floor(d) == d),
        "number" => value.GetValueKind() == System.Text.Json.JsonValueKind.Number,
        _ => true,
    };
}
