using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Reconcile.Simulator.Api;

/// <summary>
/// PATCH on one object: server-side apply (with field ownership and its conflicts), merge and JSON patches,
/// re-applied when a concurrent write got in between as the API server's GuaranteedUpdate does.
/// </summary>
internal sealed class PatchRequests(ClusterStore store)
{
    public async Task<(int Code, JsonObject Object)> Patch(HttpContext http, ResourceKind kind, string ns, string name, bool status, string manager)
    {
        var type = http.Request.ContentType?.Split(';')[0].Trim() ?? "";
        var text = await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync();

        // The API server applies a patch inside GuaranteedUpdate: when the object changed between its read
        // and its write (a controller wrote status meanwhile), it reads again and re-applies the patch. Only a
        // resourceVersion the client itself sent is a precondition that ends in 409.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return PatchOnce(http, kind, ns, name, status, manager, type, text);
            }
            catch (LostRace race)
            {
                if (attempt == MaxPatchAttempts)
                {
                    throw race.Error;
                }
            }
        }
    }

    private const int MaxPatchAttempts = 64;

    /// <summary>The write found the object changed (or created) since this patch read it.</summary>
    private sealed class LostRace(ApiError error) : Exception(error.Message)
    {
        public ApiError Error { get; } = error;
    }

    private static T Racing<T>(Func<T> write)
    {
        try
        {
            return write();
        }
        catch (ApiError error) when (error.Reason is "Conflict" or "AlreadyExists")
        {
            throw new LostRace(error);
        }
    }

    private (int Code, JsonObject Object) PatchOnce(HttpContext http, ResourceKind kind, string ns, string name, bool status, string manager, string type, string text)
    {
        var live = store.Get(kind, ns, name);
        if (type == "application/apply-patch+yaml")
        {
            if (string.IsNullOrEmpty(http.Request.Query["fieldManager"]))
            {
                throw ApiError.BadRequest("PATCH /apply requires a fieldManager");
            }

            var applied = RequestBodies.ParseYaml(text);
            RequestBodies.CheckIdentity(kind, applied, ns == "" ? null : ns, name);
            var force = http.Request.Query["force"] == "true";
            var (result, conflicts) = FieldOwnership.Apply(live, applied, manager, force, store.Timestamp(), status ? "status" : null);
            if (result is null)
            {
                var causes = new JsonArray([.. conflicts.Select(c => (JsonNode)new JsonObject
                {
                    ["reason"] = "FieldManagerConflict",
                    ["message"] = $"conflict with \"{c.Manager}\": .{c.Field.Replace('/', '.')}",
                    ["field"] = "." + c.Field.Replace('/', '.'),
                })]);
                throw new ApiError(409, "Conflict",
                    $"Apply failed with {conflicts.Count} conflict{(conflicts.Count == 1 ? "" : "s")}: " + string.Join("; ", conflicts.Select(c => $"conflict with \"{c.Manager}\": .{c.Field.Replace('/', '.')}")),
                    new JsonObject { ["name"] = name, ["group"] = kind.Group, ["kind"] = kind.Plural, ["causes"] = causes });
            }

            if (live is null)
            {
                result.Remove("status");
                return (201, Racing(() => store.Create(kind, ns, result, manager, managedFieldsDone: true)));
            }

            if (status)
            {
                return (200, Racing(() => store.Update(kind, ns, name, result, manager, statusOnly: true)));
            }

            result["metadata"]!["resourceVersion"] = live["metadata"]!["resourceVersion"]!.DeepClone();
            return (200, Racing(() => store.Update(kind, ns, name, result, manager, managedFieldsDone: true)));
        }

        if (live is null)
        {
            throw ApiError.NotFound(kind, name);
        }

        if (type is not ("application/merge-patch+json" or "application/strategic-merge-patch+json" or "application/json-patch+json"))
        {
            throw new ApiError(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json");
        }

        var patch = RequestBodies.ParseJson(text);
        JsonNode patched = type switch
        {
            "application/merge-patch+json" or "application/strategic-merge-patch+json" => Patches.Merge(live, patch)!,
            _ => Patches.Json(live, patch as JsonArray ?? throw ApiError.BadRequest("a JSON patch is a list of operations")),
        };
        if (patched is not JsonObject patchedObject)
        {
            throw ApiError.BadRequest("the patch did not produce an object");
        }

        if (NamesResourceVersion(patch))
        {
            return (200, store.Update(kind, ns, name, patchedObject, manager, status));
        }

        // A patch that names no resourceVersion applies to whatever is live.
        if (patchedObject["metadata"] is JsonObject metadata)
        {
            metadata["resourceVersion"] = live["metadata"]!["resourceVersion"]!.DeepClone();
        }

        return (200, Racing(() => store.Update(kind, ns, name, patchedObject, manager, status)));
    }

    /// <summary>Whether the client's own patch carries a resourceVersion: then it is a precondition.</summary>
    private static bool NamesResourceVersion(JsonNode? patch) => patch switch
    {
        JsonObject merge => merge["metadata"]?["resourceVersion"] is not null,
        JsonArray operations => operations.Any(op => op?["path"]?.GetValue<string>() == "/metadata/resourceVersion"),
        _ => false,
    };
}
