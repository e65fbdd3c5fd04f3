using System.Text.Json.Nodes;

namespace Reconcile.Simulator.Api;

/// <summary>
/// Server-side apply's field ownership, at the granularity of leaves: every field of a JSON object is
/// followed down; lists and scalars are leaves (lists are owned whole, as for atomic lists). Managed
/// fields are kept in <c>metadata.managedFields</c> in the API server's own FieldsV1 format.
/// </summary>
public static class FieldOwnership
{
    /// <summary>Fields the server owns; apply and update never claim them.</summary>
    private static readonly HashSet<string> ServerFields =
    [
        "apiVersion", "kind", "status", "metadata/name", "metadata/namespace", "metadata/resourceVersion", "metadata/uid",
        "metadata/creationTimestamp", "metadata/generation", "metadata/managedFields", "metadata/deletionTimestamp",
    ];

    public sealed record Entry(string Manager, string Operation, string Time, HashSet<string> Fields, string? Subresource);

    /// <summary>Leaf paths ("spec/running", "metadata/labels/app") of an object, server fields excluded.</summary>
    public static HashSet<string> Leaves(JsonObject obj)
    {
        var leaves = new HashSet<string>(StringComparer.Ordinal);
        Collect(obj, "", leaves);
        return leaves;
    }

    private static void Collect(JsonNode? node, string path, HashSet<string> leaves)
    {
        if (ServerFields.Contains(path))
        {
            return;
        }

        if (node is JsonObject obj && (obj.Count > 0 || path.Length == 0))
        {
            foreach (var (name, child) in obj)
            {
                Collect(child, path.Length == 0 ? Escape(name) : $"{path}/{Escape(name)}", leaves);
            }
        }
        else
        {
            leaves.Add(path);
        }
    }

    private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static string Unescape(string name) => name.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);

    public static JsonNode? Get(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var part in path.Split('/'))
        {
            node = node is JsonObject o ? o[Unescape(part)] : null;
        }

        return node;
    }

    public static void Set(JsonObject obj, string path, JsonNode? value)
    {
        var parts = path.Split('/');
        var node = obj;
        foreach (var part in parts[..^1])
        {
            var name = Unescape(part);
            if (node[name] is not JsonObject child)
            {
                child = new JsonObject();
                node[name] = child;
            }

            node = child;
        }

        node[Unescape(parts[^1])] = value?.DeepClone();
    }

    public static void Remove(JsonObject obj, string path)
    {
        var parts = path.Split('/');
        JsonNode? node = obj;
        foreach (var part in parts[..^1])
        {
            node = node is JsonObject o ? o[Unescape(part)] : null;
        }

        if (node is JsonObject parent)
        {
            parent.Remove(Unescape(parts[^1]));
        }
    }

    public static List<Entry> Read(JsonObject obj)
    {
        var entries = new List<Entry>();
        foreach (var item in obj["metadata"]?["managedFields"]?.AsArray() ?? [])
        {
            var fields = new HashSet<string>(StringComparer.Ordinal);
            FromFieldsV1(item!["fieldsV1"] as JsonObject, "", fields);
            entries.Add(new Entry(item["manager"]!.GetValue<string>(), item["operation"]!.GetValue<string>(), item["time"]?.GetValue<string>() ?? "",
                fields, item["subresource"]?.GetValue<string>()));
        }

        return entries;
    }

    public static void Write(JsonObject obj, IEnumerable<Entry> entries)
    {
        var list = new JsonArray();
        foreach (var entry in entries.Where(e => e.Fields.Count > 0))
        {
            var item = new JsonObject
            {
                ["manager"] = entry.Manager,
                ["operation"] = entry.Operation,
                ["apiVersion"] = obj["apiVersion"]?.GetValue<string>(),
                ["time"] = entry.Time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = ToFieldsV1(entry.Fields),
            };
            if (entry.Subresource is not null)
            {
                item["subresource"] = entry.Subresource;
            }

            list.Add(item);
        }

        if (obj["metadata"] is JsonObject metadata)
        {
            metadata["managedFields"] = list;
        }
    }

    private static JsonObject ToFieldsV1(IEnumerable<string> leaves)
    {
        var root = new JsonObject();
        foreach (var leaf in leaves.Order(StringComparer.Ordinal))
        {
            var node = root;
            foreach (var part in leaf.Split('/'))
            {
                var key = "f:" + Unescape(part);
                if (node[key] is not JsonObject child)
                {
                    child = new JsonObject();
                    node[key] = child;
                }

                node = child;
            }
        }

        return root;
    }

    private static void FromFieldsV1(JsonObject? node, string path, HashSet<string> leaves)
    {
        if (node is null)
        {
            return;
        }

        if (node.Count == 0 && path.Length > 0)
        {
            leaves.Add(path);
            return;
        }

        foreach (var (key, child) in node)
        {
            if (key.StartsWith("f:", StringComparison.Ordinal))
            {
                var name = Escape(key[2..]);
                FromFieldsV1(child as JsonObject, path.Length == 0 ? name : $"{path}/{name}", leaves);
            }
        }
    }

    /// <summary>
    /// Server-side apply of <paramref name="applied"/> by <paramref name="manager"/> onto <paramref name="live"/>
    /// (null: create). Returns the new object, or the conflicts (leaf, other manager) when not forced.
    /// </summary>
    public static (JsonObject? Result, List<(string Field, string Manager)> Conflicts) Apply(JsonObject? live, JsonObject applied, string manager, bool force, string time, string? subresource)
    {
        var entries = live is null ? [] : Read(live);
        var result = (JsonObject)(live?.DeepClone() ?? new JsonObject
        {
            ["apiVersion"] = applied["apiVersion"]?.DeepClone(),
            ["kind"] = applied["kind"]?.DeepClone(),
            ["metadata"] = new JsonObject { ["name"] = applied["metadata"]?["name"]?.DeepClone(), ["namespace"] = applied["metadata"]?["namespace"]?.DeepClone() },
        });
        var leaves = Leaves(applied);
        var conflicts = new List<(string, string)>();
        foreach (var leaf in leaves)
        {
            foreach (var other in entries.Where(e => e.Manager != manager && e.Fields.Contains(leaf) && e.Subresource == subresource))
            {
                if (!JsonNode.DeepEquals(Get(result, leaf), Get(applied, leaf)))
                {
                    conflicts.Add((leaf, other.Manager));
                }
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            return (null, conflicts);
        }

        // Fields this manager applied before and no longer does are removed, unless someone else owns them too.
        var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Apply" && e.Subresource == subresource);
        foreach (var dropped in mine?.Fields.Except(leaves) ?? [])
        {
            if (!entries.Any(e => e != mine && e.Fields.Contains(dropped)))
            {
                Remove(result, dropped);
            }
        }

        foreach (var leaf in leaves)
        {
            Set(result, leaf, Get(applied, leaf));
        }

        // Forced conflicts move to this manager; equal values stay shared.
        foreach (var (field, owner) in conflicts)
        {
            entries.First(e => e.Manager == owner && e.Fields.Contains(field)).Fields.Remove(field);
        }

        entries.Remove(mine!);
        entries.Add(new Entry(manager, "Apply", time, leaves, subresource));
        Write(result, entries);
        return (result, []);
    }

    /// <summary>A create, update or patch by <paramref name="manager"/>: it takes the leaves it changed.</summary>
    public static void RecordUpdate(JsonObject? before, JsonObject after, string manager, string time, string? subresource)
    {
        var entries = before is null ? [] : Read(before);
        var afterLeaves = Leaves(after);
        var changed = afterLeaves.Where(l => before is null || !JsonNode.DeepEquals(Get(before, l), Get(after, l))).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            // Fields gone from the object are owned by no one; changed ones move to this manager.
            entry.Fields.RemoveWhere(f => !afterLeaves.Contains(f) || changed.Contains(f) && entry.Manager != manager);
        }

        var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Update" && e.Subresource == subresource);
        if (mine is null)
        {
            mine = new Entry(manager, "Update", time, [], subresource);
            entries.Add(mine);
        }

        mine.Fields.UnionWith(changed);
        entries[entries.IndexOf(mine)] = mine with { Time = time };
        Write(after, entries);
    }
}
