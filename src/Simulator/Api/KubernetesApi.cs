using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;

namespace Reconcile.Simulator.Api;

/// <summary>
/// The Kubernetes REST API of one simulated cluster: discovery, CRUD on every registered kind,
/// list and watch with resourceVersion and label selectors, server-side apply, merge and JSON
/// patches, the status subresource, optimistic concurrency, and <c>Status</c> bodies for errors.
/// </summary>
public sealed class KubernetesApi(ClusterStore store, string serverVersion, Func<DateTime>? clock = null)
{
    private readonly Func<DateTime> now = clock ?? (() => DateTime.UtcNow);
    private readonly PatchRequests patches = new(store);

    // Quotes and HTML characters as the API server writes them, not \u0022-escaped.
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public ClusterStore Store => store;

    /// <summary>Handles one request whose path (after the cluster's prefix) is <paramref name="path"/>.</summary>
    public async Task Handle(HttpContext http, string path, CancellationToken cancel)
    {
        try
        {
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (segments.Length == 0)
            {
                await Write(http, 200, new JsonObject { ["paths"] = new JsonArray("/api", "/apis", "/version") });
                return;
            }

            switch (segments[0])
            {
                case "version":
                    await Write(http, 200, Version());
                    return;
                case "healthz" or "livez" or "readyz":
                    http.Response.ContentType = "text/plain";
                    await http.Response.WriteAsync("ok", cancel);
                    return;
                case "openapi" when segments.Length == 2 && segments[1] == "v3":
                    await Write(http, 200, OpenApi.Index(store.Registry));
                    return;
                case "openapi" when segments.Length > 2 && segments[1] == "v3":
                    await Write(http, 200, OpenApi.Document(store.Registry, string.Join('/', segments[2..]), serverVersion)
                        ?? throw new ApiError(404, "NotFound", "the server could not find the requested resource"));
                    return;
                case "api" when segments.Length == 1:
                    await Write(http, 200, new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"), ["serverAddressByClientCIDRs"] = new JsonArray() });
                    return;
                case "apis" when segments.Length == 1:
                    await Write(http, 200, Groups());
                    return;
                case "apis" when segments.Length == 2:
                    await Write(http, 200, Group(segments[1]) ?? throw new ApiError(404, "NotFound", "the server could not find the requested resource"));
                    return;
                case "api" when segments.Length == 2:
                    await Write(http, 200, Resources("v1"));
                    return;
                case "apis" when segments.Length == 3:
                    await Write(http, 200, Resources($"{segments[1]}/{segments[2]}"));
                    return;
                case "api":
                    await Resource(http, "v1", segments[2..], cancel);
                    return;
                case "apis":
                    await Resource(http, $"{segments[1]}/{segments[2]}", segments[3..], cancel);
                    return;
                default:
                    throw new ApiError(404, "NotFound", "the server could not find the requested resource");
            }
        }
        catch (ApiError e)
        {
            await Write(http, e.Code, e.ToStatus());
        }
    }

    private JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "35",
        ["gitVersion"] = serverVersion,
        ["gitCommit"] = "reconcile-simulator",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-11-01T00:00:00Z",
        ["goVersion"] = "n/a (Reconcile simulator, a test double: not a Kubernetes API server)",
        ["compiler"] = "dotnet",
        ["platform"] = "simulated",
    };

    private JsonObject Groups()
    {
        var groups = new JsonArray();
        foreach (var group in store.Registry.All.Where(k => k.Group.Length > 0).GroupBy(k => k.Group).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            groups.Add(GroupObject(group.Key, [.. group]));
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    private JsonObject? Group(string name)
    {
        var kinds = store.Registry.All.Where(k => k.Group == name).ToList();
        if (kinds.Count == 0)
        {
            return null;
        }

        var group = GroupObject(name, kinds);
        group["kind"] = "APIGroup";
        group["apiVersion"] = "v1";
        return group;
    }

    private static JsonObject GroupObject(string name, List<ResourceKind> kinds)
    {
        var versions = new JsonArray();
        foreach (var version in kinds.Select(k => k.Version).Distinct().Order(StringComparer.Ordinal))
        {
            versions.Add(new JsonObject { ["groupVersion"] = $"{name}/{version}", ["version"] = version });
        }

        return new JsonObject { ["name"] = name, ["versions"] = versions, ["preferredVersion"] = versions[0]!.DeepClone() };
    }

    private JsonObject Resources(string groupVersion)
    {
        var resources = new JsonArray();
        foreach (var kind in store.Registry.All.Where(k => k.GroupVersion == groupVersion))
        {
            var resource = new JsonObject
            {
                ["name"] = kind.Plural,
                ["singularName"] = kind.Singular,
                ["namespaced"] = kind.Namespaced,
                ["kind"] = kind.Kind,
                ["verbs"] = new JsonArray("create", "delete", "get", "list", "patch", "update", "watch"),
            };
            if (kind.ShortName is { } shortName)
            {
                resource["shortNames"] = new JsonArray(shortName);
            }

            resources.Add(resource);
            if (kind.HasStatus)
            {
                resources.Add(new JsonObject { ["name"] = kind.Plural + "/status", ["singularName"] = "", ["namespaced"] = kind.Namespaced, ["kind"] = kind.Kind, ["verbs"] = new JsonArray("get", "patch", "update") });
            }
        }

        if (resources.Count == 0)
        {
            throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        }

        return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = groupVersion, ["resources"] = resources };
    }

    /// <summary>namespaces/NS/PLURAL[/NAME[/status]] or PLURAL[/NAME[/status]].</summary>
    private async Task Resource(HttpContext http, string groupVersion, string[] rest, CancellationToken cancel)
    {
        string? ns = null;
        if (rest.Length >= 3 && rest[0] == "namespaces" && groupVersion == "v1" || rest.Length >= 3 && rest[0] == "namespaces")
        {
            ns = rest[1];
            rest = rest[2..];
        }

        if (rest.Length == 0)
        {
            throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        }

        var kind = store.Registry.Find(groupVersion, rest[0]) ?? throw new ApiError(404, "NotFound", $"the server could not find the requested resource ({groupVersion}, {rest[0]})");
        if (!kind.Namespaced && ns is not null)
        {
            throw new ApiError(404, "NotFound", $"{kind.Plural} is not namespaced");
        }

        var name = rest.Length > 1 ? rest[1] : null;
        var status = rest.Length > 2 && rest[2] == "status";
        if (rest.Length > 2 && !status || status && !kind.HasStatus)
        {
            throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        }

        var query = http.Request.Query;
        var manager = FieldManager(http);
        switch (http.Request.Method)
        {
            case "GET" when name is null && query["watch"] is var w && (w == "true" || w == "1"):
                await WatchStream(http, kind, ns, cancel);
                return;
            case "GET" when name is null:
                var list = ListObject(kind, ns, query);
                await Write(http, 200, TablePrinter.Wanted(http.Request.Headers.Accept)
                    ? TablePrinter.Table(kind, list["items"]!.AsArray().OfType<JsonObject>(), list["metadata"]!["resourceVersion"]!.GetValue<string>(), now(), store.Registry.PrinterColumns(kind))
                    : list);
                return;
            case "GET":
                var single = store.Get(kind, ns ?? "", name) ?? throw ApiError.NotFound(kind, name);
                await Write(http, 200, TablePrinter.Wanted(http.Request.Headers.Accept) && !status
                    ? TablePrinter.Table(kind, [single], single["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "", now(), store.Registry.PrinterColumns(kind))
                    : single);
                return;
            case "POST" when name is null:
                var body = await RequestBodies.Read(http);
                RequestBodies.CheckIdentity(kind, body, ns, null);
                await Write(http, 201, DryRun(http) ? body : store.Create(kind, ns ?? "", body, manager));
                return;
            case "PUT" when name is not null:
                var replacement = await RequestBodies.Read(http);
                RequestBodies.CheckIdentity(kind, replacement, ns, name);
                await Write(http, 200, store.Update(kind, ns ?? "", name, replacement, manager, status));
                return;
            case "PATCH" when name is not null:
                await Write(http, await patches.Patch(http, kind, ns ?? "", name, status, manager) is var (code, obj) ? code : 200, obj);
                return;
            case "DELETE" when name is not null:
                await Write(http, 200, store.Delete(kind, ns ?? "", name));
                return;
            case "DELETE":
                var (victims, _) = store.List(kind, ns, LabelSelector.Parse(query["labelSelector"]));
                foreach (var victim in victims)
                {
                    store.Delete(kind, victim["metadata"]!["namespace"]?.GetValue<string>() ?? "", victim["metadata"]!["name"]!.GetValue<string>());
                }

                await Write(http, 200, new JsonObject { ["kind"] = kind.ListKind, ["apiVersion"] = kind.GroupVersion, ["metadata"] = new JsonObject(), ["items"] = new JsonArray([.. victims]) });
                return;
            default:
                throw new ApiError(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource");
        }
    }

    private JsonObject ListObject(ResourceKind kind, string? ns, IQueryCollection query)
    {
        var (items, version) = store.List(kind, ns, LabelSelector.Parse(query["labelSelector"]), FieldSelector(query["fieldSelector"]));
        return new JsonObject
        {
            ["kind"] = kind.ListKind,
            ["apiVersion"] = kind.GroupVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray([.. items]),
        };
    }

    /// <summary>metadata.name and metadata.namespace, as every resource supports; anything else is a 400.</summary>
    private static Func<JsonObject, bool>? FieldSelector(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var tests = new List<Func<JsonObject, bool>>();
        foreach (var term in text.Split(','))
        {
            var negate = term.Contains("!=", StringComparison.Ordinal);
            var parts = term.Split(negate ? "!=" : term.Contains("==", StringComparison.Ordinal) ? "==" : "=", 2);
            var field = parts[0].Trim();
            var value = parts.Length > 1 ? parts[1].Trim() : "";
            if (field is not ("metadata.name" or "metadata.namespace"))
            {
                throw ApiError.BadRequest($"field label not supported: {field}");
            }

            var key = field["metadata.".Length..];
            tests.Add(o => (o["metadata"]?[key]?.GetValue<string>() == value) != negate);
        }

        return o => tests.All(t => t(o));
    }

    /// <summary>
    /// watch=true: a chunked stream of JSON events, one per line. Without a resourceVersion (or "0")
    /// it starts with the current objects as ADDED; allowWatchBookmarks adds BOOKMARK events; a
    /// version older than the kept history is an ERROR event carrying a 410 Status.
    /// </summary>
    private async Task WatchStream(HttpContext http, ResourceKind kind, string? ns, CancellationToken cancel)
    {
        var query = http.Request.Query;
        var selector = LabelSelector.Parse(query["labelSelector"]);
        var from = long.TryParse(query["resourceVersion"], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
        var bookmarks = query["allowWatchBookmarks"] == "true";
        var table = TablePrinter.Wanted(http.Request.Headers.Accept);
        JsonNode Shape(JsonObject obj) => table && obj["kind"]?.GetValue<string>() == kind.Kind
            ? TablePrinter.Table(kind, [obj], obj["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "", now(), store.Registry.PrinterColumns(kind))
            : obj;
        var timeout = int.TryParse(query["timeoutSeconds"], out var t) && t > 0 ? TimeSpan.FromSeconds(t) : TimeSpan.FromMinutes(30);
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        Watcher watcher;
        try
        {
            watcher = store.Watch(kind, ns, from, selector);
        }
        catch (ApiError gone) when (gone.Code == 410)
        {
            await Line(http, new JsonObject { ["type"] = "ERROR", ["object"] = gone.ToStatus() }, cancel);
            return;
        }

        using (watcher)
        {
            if (from == 0)
            {
                foreach (var item in store.List(kind, ns, selector).Items)
                {
                    await Line(http, new JsonObject { ["type"] = "ADDED", ["object"] = Shape(item) }, cancel);
                }
            }

            await http.Response.Body.FlushAsync(cancel);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            deadline.CancelAfter(timeout);
            var reader = watcher.Channel.Reader;
            try
            {
                while (!deadline.IsCancellationRequested)
                {
                    using var tick = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                    tick.CancelAfter(TimeSpan.FromSeconds(1));
                    try
                    {
                        if (!await reader.WaitToReadAsync(tick.Token))
                        {
                            return; // closed by the server (a dropped-watch fault)
                        }

                        while (reader.TryRead(out var change))
                        {
                            await Line(http, new JsonObject { ["type"] = change.Type, ["object"] = Shape((JsonObject)change.Object.DeepClone()) }, deadline.Token);
                        }
                    }
                    catch (OperationCanceledException) when (!deadline.IsCancellationRequested && bookmarks)
                    {
                        var version = store.ResourceVersion.ToString(CultureInfo.InvariantCulture);
                        await Line(http, new JsonObject
                        {
                            ["type"] = "BOOKMARK",
                            ["object"] = new JsonObject { ["kind"] = kind.Kind, ["apiVersion"] = kind.GroupVersion, ["metadata"] = new JsonObject { ["resourceVersion"] = version } },
                        }, deadline.Token);
                    }
                    catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
                    {
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The client went away or timeoutSeconds passed: the stream simply ends.
            }
        }
    }

    private static async Task Line(HttpContext http, JsonObject change, CancellationToken cancel)
    {
        await http.Response.WriteAsync(change.ToJsonString(Compact) + "\n", cancel);
        await http.Response.Body.FlushAsync(cancel);
    }

    private static bool DryRun(HttpContext http) => http.Request.Query["dryRun"] == "All";

    /// <summary>fieldManager from the query, else the client's name from its User-Agent, as the API server derives it.</summary>
    private static string FieldManager(HttpContext http)
    {
        if (http.Request.Query["fieldManager"].ToString() is { Length: > 0 } manager)
        {
            return manager;
        }

        var agent = http.Request.Headers.UserAgent.ToString();
        return agent.Length == 0 ? "unknown" : agent.Split('/')[0];
    }

    public static Task Write(HttpContext http, int code, JsonNode body)
    {
        http.Response.StatusCode = code;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(body.ToJsonString(Compact));
    }
}
