using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;

namespace Reconcile.Simulator.Api;

/// <summary>Request bodies as the API server reads them: JSON or YAML, and the identity checks on them.</summary>
internal static class RequestBodies
{
    public static void CheckIdentity(ResourceKind kind, JsonObject body, string? ns, string? name)
    {
        if (body["kind"]?.GetValue<string>() is { } k && k != kind.Kind || body["apiVersion"]?.GetValue<string>() is { } v && v != kind.GroupVersion)
        {
            throw ApiError.BadRequest($"the API version in the data ({body["apiVersion"]}) does not match the expected API version ({kind.GroupVersion}) or kind {kind.Kind}");
        }

        var bodyName = body["metadata"]?["name"]?.GetValue<string>();
        if (name is not null && bodyName is not null && bodyName != name)
        {
            throw ApiError.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        var bodyNamespace = body["metadata"]?["namespace"]?.GetValue<string>();
        if (kind.Namespaced && ns is not null && bodyNamespace is not null && bodyNamespace != ns)
        {
            throw ApiError.BadRequest($"the namespace of the provided object does not match the namespace sent on the request");
        }

        if (name is not null && bodyName is null)
        {
            (body["metadata"] as JsonObject ?? (JsonObject)(body["metadata"] = new JsonObject()))["name"] = name;
        }
    }

    public static async Task<JsonObject> Read(HttpContext http)
    {
        var text = await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync();
        var type = http.Request.ContentType ?? "";
        return (type.Contains("yaml", StringComparison.Ordinal) ? ParseYaml(text) : ParseJson(text) as JsonObject) ?? throw ApiError.BadRequest("the body is not a JSON object");
    }

    public static JsonNode? ParseJson(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequest($"the body of the request is not valid JSON: {e.Message}");
        }
    }

    public static JsonObject ParseYaml(string text)
    {
        var documents = new List<PlanDocument>();
        var problems = new List<Diagnostic>();
        PlanLoader.LoadText("body", text, documents, problems);
        if (problems.Count > 0 || documents.Count != 1 || documents[0].Root is not JsonObject obj)
        {
            throw ApiError.BadRequest($"error decoding YAML: {(problems.Count > 0 ? problems[0].Message : "expected one object")}");
        }

        return obj;
    }
}
