using System.Text.Json.Nodes;

namespace Reconcile.Simulator.Api;

/// <summary>An API failure, answered as a Kubernetes <c>Status</c> body with its HTTP code.</summary>
public sealed class ApiError(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject? Details { get; } = details;

    public static ApiError NotFound(ResourceKind kind, string name) =>
        new(404, "NotFound", $"{kind.Plural}{(kind.Group.Length > 0 ? "." + kind.Group : "")} \"{name}\" not found", Describe(kind, name));

    public static ApiError AlreadyExists(ResourceKind kind, string name) =>
        new(409, "AlreadyExists", $"{kind.Plural}{(kind.Group.Length > 0 ? "." + kind.Group : "")} \"{name}\" already exists", Describe(kind, name));

    public static ApiError Conflict(ResourceKind kind, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {kind.Plural}{(kind.Group.Length > 0 ? "." + kind.Group : "")} \"{name}\": {why}", Describe(kind, name));

    public static ApiError Invalid(ResourceKind kind, string name, string why) =>
        new(422, "Invalid", $"{kind.Kind} \"{name}\" is invalid: {why}", Describe(kind, name));

    public static ApiError BadRequest(string why) => new(400, "BadRequest", why);

    public static ApiError Gone(string why) => new(410, "Expired", why);

    public JsonObject ToStatus() => Status(Code, Reason, Message, Details);

    public static JsonObject Status(int code, string reason, string message, JsonObject? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = code < 400 ? "Success" : "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = code,
        };
        if (details is not null)
        {
            status["details"] = details;
        }

        return status;
    }

    private static JsonObject Describe(ResourceKind kind, string name) => new() { ["name"] = name, ["group"] = kind.Group, ["kind"] = kind.Plural };
}
