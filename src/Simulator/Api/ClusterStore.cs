using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Reconcile.Simulator.Api;

/// <summary>A change seen by watchers: ADDED, MODIFIED, DELETED, or a BOOKMARK carrying only a resourceVersion.</summary>
public sealed record WatchEvent(string Type, ResourceKind Kind, JsonObject Object, long ResourceVersion);

/// <summary>
/// The objects of one simulated cluster, as etcd and the API server keep them: one resourceVersion
/// counter, optimistic concurrency, generation, managed fields, and a bounded history of changes so
/// that a watch can resume from a recent resourceVersion (older ones are 410 Gone).
/// </summary>
public sealed class ClusterStore(string cluster, ResourceRegistry registry, Func<DateTime> now, int historyLimit = 5000)
{
    private readonly Lock gate = new();
    // Keyed by group, not version: every served version of a resource is one stored object, as in the API server.
    private readonly Dictionary<(string Group, string Plural, string Namespace, string Name), JsonObject> objects = [];
    private readonly LinkedList<WatchEvent> history = new();
    private readonly List<Watcher> watchers = [];
    private long resourceVersion = 1;
    private long oldestInHistory = 1;

    public string Cluster => cluster;

    public ResourceRegistry Registry => registry;

    /// <summary>Admission checks run on create, as validating webhooks do (KubeVirt's VMIM admitter).</summary>
    public Func<ResourceKind, JsonObject, ApiError?>? Admit { get; set; }

    public long ResourceVersion
    {
        get
        {
            lock (gate)
            {
                return resourceVersion;
            }
        }
    }

    public JsonObject? Get(ResourceKind kind, string ns, string name)
    {
        lock (gate)
        {
            return objects.TryGetValue(Key(kind, ns, name), out var obj) ? (JsonObject)obj.DeepClone() : null;
        }
    }

    public (List<JsonObject> Items, long ResourceVersion) List(ResourceKind kind, string? ns, LabelSelector? selector = null, Func<JsonObject, bool>? fields = null)
    {
        lock (gate)
        {
            var items = objects.Where(o => o.Key.Group == kind.Group && o.Key.Plural == kind.Plural && (ns is null || o.Key.Namespace == ns))
                .Select(o => o.Value)
                .Where(o => selector?.Matches(o) != false && fields?.Invoke(o) != false)
                .OrderBy(o => o["metadata"]!["namespace"]?.GetValue<string>() ?? "", StringComparer.Ordinal)
                .ThenBy(o => o["metadata"]!["name"]!.GetValue<string>(), StringComparer.Ordinal)
                .Select(o => (JsonObject)o.DeepClone())
                .ToList();
            return (items, resourceVersion);
        }
    }

    /// <summary>Creates an object; the name must be free. <paramref name="manager"/> owns every field it set.</summary>
    public JsonObject Create(ResourceKind kind, string ns, JsonObject obj, string manager, bool managedFieldsDone = false)
    {
        lock (gate)
        {
            var metadata = Metadata(obj);
            var name = metadata["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name) && metadata["generateName"]?.GetValue<string>() is { } prefix)
            {
                name = prefix + Hash($"{kind.Plural}/{ns}/{prefix}/{resourceVersion}")[..5];
                metadata["name"] = name;
            }

            if (string.IsNullOrEmpty(name))
            {
                throw ApiError.Invalid(kind, "", "metadata.name: Required value: name or generateName is required");
            }

            if (kind.Namespaced && ns != "" && Namespace(ns) is null && kind != ResourceRegistry.Namespace)
            {
                throw new ApiError(404, "NotFound", $"namespaces \"{ns}\" not found", new JsonObject { ["name"] = ns, ["kind"] = "namespaces" });
            }

            var key = Key(kind, ns, name);
            if (objects.ContainsKey(key))
            {
                throw ApiError.AlreadyExists(kind, name);
            }

            obj["apiVersion"] = kind.GroupVersion;
            obj["kind"] = kind.Kind;
            if (kind.Namespaced)
            {
                metadata["namespace"] = ns;
            }
            else
            {
                metadata.Remove("namespace");
            }

            if (Admit?.Invoke(kind, obj) is { } refused)
            {
                throw refused;
            }

            metadata["uid"] = Uid($"{cluster}/{kind.Plural}/{ns}/{name}/{resourceVersion}");
            metadata["creationTimestamp"] = Timestamp();
            metadata["generation"] = 1;
            metadata.Remove("resourceVersion");
            if (!managedFieldsDone)
            {
                FieldOwnership.RecordUpdate(null, obj, manager, Timestamp(), null);
            }

            return Commit("ADDED", kind, key, obj);
        }
    }

    /// <summary>
    /// Replaces an object (PUT, and the end of every patch). A non-empty resourceVersion in the new body
    /// must match the stored one (409 otherwise). With <paramref name="statusOnly"/> only status changes.
    /// </summary>
    public JsonObject Update(ResourceKind kind, string ns, string name, JsonObject obj, string manager, bool statusOnly = false, bool managedFieldsDone = false)
    {
        lock (gate)
        {
            var key = Key(kind, ns, name);
            if (!objects.TryGetValue(key, out var live))
            {
                throw ApiError.NotFound(kind, name);
            }

            var expected = obj["metadata"]?["resourceVersion"]?.GetValue<string>();
            if (!string.IsNullOrEmpty(expected) && expected != live["metadata"]!["resourceVersion"]!.GetValue<string>())
            {
                throw ApiError.Conflict(kind, name, "the object has been modified; please apply your changes to the latest version and try again");
            }

            JsonObject next;
            if (statusOnly)
            {
                next = (JsonObject)live.DeepClone();
                next["status"] = obj["status"]?.DeepClone();
            }
            else
            {
                next = (JsonObject)obj.DeepClone();
                next.Remove("status");
                if (live["status"] is { } liveStatus)
                {
                    next["status"] = liveStatus.DeepClone();
                }

                var metadata = Metadata(next);
                foreach (var field in new[] { "uid", "creationTimestamp", "namespace", "name", "deletionTimestamp" })
                {
                    if (live["metadata"]![field] is { } value)
                    {
                        metadata[field] = value.DeepClone();
                    }
                    else
                    {
                        metadata.Remove(field);
                    }
                }

                metadata["generation"] = (long)(JsonValues.Number(live["metadata"]!["generation"]) ?? 1) +
                    (JsonNode.DeepEquals(Strip(live), Strip(next)) ? 0 : 1);
                if (!managedFieldsDone)
                {
                    metadata["managedFields"] = live["metadata"]!["managedFields"]?.DeepClone();
                }
            }

            next["apiVersion"] = kind.GroupVersion;
            next["kind"] = kind.Kind;
            if (!managedFieldsDone)
            {
                FieldOwnership.RecordUpdate(live, next, manager, Timestamp(), statusOnly ? "status" : null);
            }

            if (JsonNode.DeepEquals(WithoutVersion(live), WithoutVersion(next)))
            {
                return (JsonObject)live.DeepClone();
            }

            return Commit("MODIFIED", kind, key, next);
        }
    }

    public JsonObject Delete(ResourceKind kind, string ns, string name)
    {
        lock (gate)
        {
            var key = Key(kind, ns, name);
            if (!objects.Remove(key, out var live))
            {
                throw ApiError.NotFound(kind, name);
            }

            resourceVersion++;
            live["metadata"]!["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture);
            Publish(new WatchEvent("DELETED", kind, live, resourceVersion));
            if (kind == ResourceRegistry.Namespace)
            {
                foreach (var child in objects.Keys.Where(k => k.Namespace == name).ToList())
                {
                    var childKind = registry.FindResource(child.Group, child.Plural)!;
                    objects.Remove(child, out var removed);
                    resourceVersion++;
                    removed!["metadata"]!["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture);
                    Publish(new WatchEvent("DELETED", childKind, removed, resourceVersion));
                }
            }

            return (JsonObject)live.DeepClone();
        }
    }

    /// <summary>
    /// A watch from <paramref name="fromVersion"/> (exclusive; 0: from now). Events older than the kept
    /// history are gone: 410, and the client must list again.
    /// </summary>
    public Watcher Watch(ResourceKind kind, string? ns, long fromVersion, LabelSelector selector)
    {
        lock (gate)
        {
            if (fromVersion > 0 && fromVersion < oldestInHistory - 1)
            {
                throw ApiError.Gone($"too old resource version: {fromVersion} ({oldestInHistory - 1})");
            }

            var watcher = new Watcher(this, kind, ns, selector);
            if (fromVersion > 0)
            {
                foreach (var change in history.Where(h => h.ResourceVersion > fromVersion))
                {
                    watcher.Offer(change);
                }
            }

            watchers.Add(watcher);
            return watcher;
        }
    }

    /// <summary>Closes every open watch (a dropped-watch fault): clients must re-watch from their last version.</summary>
    public int DropWatches()
    {
        lock (gate)
        {
            var count = watchers.Count;
            foreach (var watcher in watchers)
            {
                watcher.Channel.Writer.TryComplete();
            }

            watchers.Clear();
            return count;
        }
    }

    internal void Unsubscribe(Watcher watcher)
    {
        lock (gate)
        {
            watchers.Remove(watcher);
        }
    }

    private JsonObject? Namespace(string name) => objects.GetValueOrDefault(Key(ResourceRegistry.Namespace, "", name));

    /// <summary>
    /// etcd's default --max-request-bytes (1.5 MiB, etcd server/embed/config.go DefaultMaxRequestBytes). A custom
    /// resource is stored as JSON, so an object whose JSON is larger cannot be written; the API server passes
    /// etcd's error on as a 500 (kubernetes/kubernetes#112152). Built-in kinds are stored as protobuf, smaller
    /// than their JSON: measuring JSON for them too errs on the strict side.
    /// </summary>
    public const int MaxObjectBytes = 1536 * 1024;

    private JsonObject Commit(string type, ResourceKind kind, (string, string, string, string) key, JsonObject obj)
    {
        if (JsonSerializer.SerializeToUtf8Bytes(obj).Length > MaxObjectBytes)
        {
            throw new ApiError(500, "InternalError", "etcdserver: request is too large");
        }

        resourceVersion++;
        obj["metadata"]!["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture);
        objects[key] = obj;
        Publish(new WatchEvent(type, kind, (JsonObject)obj.DeepClone(), resourceVersion));
        if (kind == ResourceRegistry.Crd)
        {
            registry.AddCrd(obj);
        }

        return (JsonObject)obj.DeepClone();
    }

    private void Publish(WatchEvent change)
    {
        history.AddLast(change);
        while (history.Count > historyLimit)
        {
            history.RemoveFirst();
            oldestInHistory = history.First!.Value.ResourceVersion;
        }

        foreach (var watcher in watchers)
        {
            watcher.Offer(change);
        }
    }

    private static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is not JsonObject metadata)
        {
            metadata = new JsonObject();
            obj["metadata"] = metadata;
        }

        return metadata;
    }

    /// <summary>The object without metadata and status: what generation counts.</summary>
    private static JsonObject Strip(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        copy.Remove("metadata");
        copy.Remove("status");
        return copy;
    }

    private static JsonObject WithoutVersion(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        (copy["metadata"] as JsonObject)?.Remove("resourceVersion");
        if (copy["metadata"] is JsonObject metadata && metadata["managedFields"] is JsonArray fields)
        {
            foreach (var field in fields.OfType<JsonObject>())
            {
                field.Remove("time");
            }
        }

        return copy;
    }

    public string Timestamp() => Compiler.Facts.Timestamps.Format(now());

    private static (string, string, string, string) Key(ResourceKind kind, string ns, string name) => (kind.Group, kind.Plural, kind.Namespaced ? ns : "", name);

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    // Deterministic UIDs: the same world and the same requests give the same objects.
    public static string Uid(string seed)
    {
        var hex = Hash(seed);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }
}

/// <summary>One open watch: a channel of the matching events.</summary>
public sealed class Watcher(ClusterStore store, ResourceKind kind, string? ns, LabelSelector selector) : IDisposable
{
    public Channel<WatchEvent> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<WatchEvent>();

    internal void Offer(WatchEvent change)
    {
        if (change.Kind.Group == kind.Group && change.Kind.Plural == kind.Plural &&
            (ns is null || change.Object["metadata"]?["namespace"]?.GetValue<string>() == ns) && selector.Matches(change.Object))
        {
            Channel.Writer.TryWrite(change);
        }
    }

    public void Dispose()
    {
        store.Unsubscribe(this);
        Channel.Writer.TryComplete();
    }
}
