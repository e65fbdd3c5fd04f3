using System.Text.Json.Nodes;

namespace Reconcile.Simulator.Api;

/// <summary>
/// Enough OpenAPI v3 for kubectl: the per-group-version index (/openapi/v3) and, for each group
/// version, its paths with the operations and the <c>fieldValidation</c> parameter (kubectl checks for
/// it to choose server-side field validation), and open schemas for the kinds. The simulator keeps
/// no field schemas: objects are stored as sent (see docs/simulator.md).
/// </summary>
public static class OpenApi
{
    public static JsonObject Index(ResourceRegistry registry)
    {
        var paths = new JsonObject();
        foreach (var groupVersion in registry.All.Select(Prefix).Distinct().Order(StringComparer.Ordinal))
        {
            paths[groupVersion] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{groupVersion}?hash={Hash(registry, groupVersion)}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    public static JsonObject? Document(ResourceRegistry registry, string groupVersion, string serverVersion)
    {
        var kinds = registry.All.Where(k => Prefix(k) == groupVersion).ToList();
        if (kinds.Count == 0)
        {
            return null;
        }

        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var kind in kinds)
        {
            var gvk = new JsonObject { ["group"] = kind.Group, ["version"] = kind.Version, ["kind"] = kind.Kind };
            var collection = kind.Namespaced ? $"/{groupVersion}/namespaces/{{namespace}}/{kind.Plural}" : $"/{groupVersion}/{kind.Plural}";
            paths[collection] = new JsonObject
            {
                ["get"] = Operation("list", gvk, false),
                ["post"] = Operation("post", gvk, true),
            };
            paths[collection + "/{name}"] = new JsonObject
            {
                ["get"] = Operation("get", gvk, false),
                ["put"] = Operation("put", gvk, true),
                ["patch"] = Operation("patch", gvk, true),
                ["delete"] = Operation("delete", gvk, false),
            };
            schemas[SchemaName(kind)] = new JsonObject
            {
                ["type"] = "object",
                ["x-kubernetes-group-version-kind"] = new JsonArray(gvk.DeepClone()),
                ["x-kubernetes-preserve-unknown-fields"] = true,
            };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes (Reconcile simulator)", ["version"] = serverVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static JsonObject Operation(string action, JsonObject gvk, bool writes)
    {
        var parameters = new JsonArray();
        if (writes)
        {
            foreach (var name in new[] { "dryRun", "fieldManager", "fieldValidation" })
            {
                parameters.Add(new JsonObject { ["name"] = name, ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } });
            }
        }

        return new JsonObject
        {
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
            ["parameters"] = parameters,
            ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
        };
    }

    private static string Prefix(ResourceKind kind) => kind.Group.Length == 0 ? $"api/{kind.Version}" : $"apis/{kind.Group}/{kind.Version}";

    private static string SchemaName(ResourceKind kind) =>
        string.Join('.', (kind.Group.Length == 0 ? "io.k8s.api.core" : string.Join('.', kind.Group.Split('.').Reverse())).Split('.').Append(kind.Version).Append(kind.Kind));

    // Changes when the group version's kinds change (a CRD is applied), so clients refetch.
    private static string Hash(ResourceRegistry registry, string groupVersion) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            string.Join(",", registry.All.Where(k => Prefix(k) == groupVersion).Select(k => k.Kind)))))[..16];
}
