using System.Text.Json.Nodes;

namespace Reconcile.Reconciler.Clusters;

/// <summary>What the reconciler needs from one cluster's API; objects are plain JSON as the templates render them.</summary>
public interface IClusterGateway
{
    string Cluster { get; }

    /// <summary>Server-side apply with field manager "reconcile" (forced: Reconcile owns what it applies).</summary>
    Task<JsonObject> ApplyAsync(JsonObject obj, CancellationToken cancel);

    /// <summary>Replaces the status of an object Reconcile owns (the MigrationRun).</summary>
    Task<JsonObject> ApplyStatusAsync(JsonObject obj, CancellationToken cancel);

    Task<JsonObject?> GetAsync(string apiVersion, string kind, string? ns, string name, CancellationToken cancel);

    Task<IReadOnlyList<JsonObject>> ListAsync(string apiVersion, string kind, string? ns, string? labelSelector, CancellationToken cancel);

    /// <summary>Deletes; a missing object is not an error.</summary>
    Task DeleteAsync(string apiVersion, string kind, string? ns, string name, CancellationToken cancel);

    Task EnsureNamespaceAsync(string ns, CancellationToken cancel);

    /// <summary>A Kubernetes Event about <paramref name="involved"/> (type Normal or Warning).</summary>
    Task RecordEventAsync(JsonObject involved, string type, string reason, string message, DateTime time, CancellationToken cancel);
}
