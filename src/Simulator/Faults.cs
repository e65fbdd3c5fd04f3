using System.Globalization;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Model;
using Reconcile.Simulator.Api;

namespace Reconcile.Simulator;

/// <summary>
/// Faults injected on demand (CLI `--fault`, or `POST /simulator/faults`): bursts of API errors (5xx),
/// throttling (429) and write conflicts (409); dropped watches; slow or flapping links; a migration
/// that fails; a node lost mid-migration. Each is a JSON object with a "type":
/// <code>
/// {"type":"api-error","cluster":"fra-1","count":5,"code":503}   {"type":"throttle","count":3}
/// {"type":"forbid","cluster":"fra-1","resource":"storageclasses"}   (403 on that resource until cleared)
/// {"type":"api-latency","cluster":"sgp-1","ms":150}            (every request waits that long, until cleared)
/// {"type":"conflict","cluster":"fra-1","count":2}               {"type":"drop-watches","cluster":"fra-1"}
/// {"type":"slow-link","link":"fra-1~sgp-1","factor":0.1}        {"type":"flap-link","link":"fra-1~sgp-1","down":"30s","up":"90s"}
/// {"type":"fail-migration","cluster":"fra-1","namespace":"payments","vmi":"db-0"}   {"type":"lose-node","cluster":"fra-1","node":"fra-1-w1"}
/// </code>
/// "cluster" may be left out (or "*") for every cluster; "vmi" likewise for the next migration anywhere.
/// </summary>
public sealed class Faults
{
    private readonly Lock gate = new();
    private readonly List<ApiFault> api = [];
    private readonly Dictionary<string, LinkFault> links = new(StringComparer.Ordinal);
    private readonly List<(string Cluster, string Namespace, string Vmi)> failMigrations = [];
    private readonly List<JsonObject> log = [];
    private readonly List<(string Cluster, string Resource)> forbidden = [];
    private readonly Dictionary<string, TimeSpan> latencies = new(StringComparer.Ordinal);

    private sealed record ApiFault(string Cluster, int Code, string Reason, bool WritesOnly)
    {
        public int Remaining { get; set; }
    }

    private sealed record LinkFault(double Factor, DateTime Since, TimeSpan? Down, TimeSpan? Up);

    /// <summary>Raised for faults that act at once on the world (drop-watches, lose-node).</summary>
    public event Action<JsonObject>? Immediate;

    /// <summary>Adds a fault; returns an error message when it is not understood.</summary>
    public string? Add(JsonObject fault, DateTime now)
    {
        var type = fault["type"]?.GetValue<string>();
        var cluster = fault["cluster"]?.GetValue<string>() ?? "*";
        var count = JsonValues.Integer(fault["count"]) ?? 1;
        lock (gate)
        {
            switch (type)
            {
                case "api-error":
                    var code = JsonValues.Integer(fault["code"]) ?? 500;
                    api.Add(new ApiFault(cluster, code, code == 503 ? "ServiceUnavailable" : "InternalError", false) { Remaining = count });
                    break;
                case "throttle":
                    api.Add(new ApiFault(cluster, 429, "TooManyRequests", false) { Remaining = count });
                    break;
                case "conflict":
                    api.Add(new ApiFault(cluster, 409, "Conflict", true) { Remaining = count });
                    break;
                case "slow-link" when fault["link"]?.GetValue<string>() is { } link:
                    links[link] = new LinkFault(Math.Clamp(JsonValues.Number(fault["factor"]) ?? 0.1, 0, 1), now, null, null);
                    break;
                case "flap-link" when fault["link"]?.GetValue<string>() is { } link:
                    var down = Quantities.Duration(fault["down"]?.GetValue<string>() ?? "30s") ?? TimeSpan.FromSeconds(30);
                    var up = Quantities.Duration(fault["up"]?.GetValue<string>() ?? "60s") ?? TimeSpan.FromSeconds(60);
                    links[link] = new LinkFault(0, now, down, up);
                    break;
                case "restore-link" when fault["link"]?.GetValue<string>() is { } link:
                    links.Remove(link);
                    break;
                case "fail-migration":
                    failMigrations.Add((cluster, fault["namespace"]?.GetValue<string>() ?? "*", fault["vmi"]?.GetValue<string>() ?? "*"));
                    break;
                case "forbid" when fault["resource"]?.GetValue<string>() is { Length: > 0 } resource:
                    forbidden.Add((cluster, resource));
                    break;
                case "api-latency" when JsonValues.Integer(fault["ms"]) is { } ms and >= 0:
                    latencies[cluster] = TimeSpan.FromMilliseconds(ms);
                    break;
                case "drop-watches" or "lose-node":
                    break;
                default:
                    return $"unknown fault {fault.ToJsonString()}; types: api-error, throttle, conflict, forbid, api-latency, drop-watches, slow-link, flap-link, restore-link, fail-migration, lose-node";
            }

            log.Add((JsonObject)fault.DeepClone());
        }

        if (type is "drop-watches" or "lose-node")
        {
            Immediate?.Invoke(fault);
        }

        return null;
    }

    /// <summary>What is wrong with a fault, or null when it would be accepted.</summary>
    public static string? Problem(JsonObject fault) => new Faults().Add(fault, DateTime.UnixEpoch);

    /// <summary>Parses the CLI form TYPE[:key=value,...], e.g. api-error:cluster=fra-1,count=5,code=503.</summary>
    public static JsonObject Parse(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var fault = new JsonObject { ["type"] = colon < 0 ? text : text[..colon] };
        foreach (var pair in colon < 0 ? [] : text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            var value = parts.Length > 1 ? parts[1] : "";
            fault[parts[0]] = int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
                : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : value;
        }

        return fault;
    }

    public JsonArray Active()
    {
        lock (gate)
        {
            return new JsonArray([.. log.Select(f => f.DeepClone())]);
        }
    }

    /// <summary>How long each request to the cluster's API waits before it is answered (api-latency: a far region's round trip).</summary>
    public TimeSpan Latency(string cluster)
    {
        lock (gate)
        {
            return latencies.TryGetValue(cluster, out var latency) || latencies.TryGetValue("*", out latency) ? latency : TimeSpan.Zero;
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            latencies.Clear();
            api.Clear();
            forbidden.Clear();
            links.Clear();
            failMigrations.Clear();
            log.Clear();
        }
    }

    /// <summary>The error the next API request to <paramref name="cluster"/> gets, if a burst is active.</summary>
    public ApiError? NextApiError(string cluster, string method)
    {
        lock (gate)
        {
            var write = method is "POST" or "PUT" or "PATCH" or "DELETE";
            var fault = api.FirstOrDefault(f => (f.Cluster == "*" || f.Cluster == cluster) && f.Remaining > 0 && (!f.WritesOnly || write));
            if (fault is null)
            {
                return null;
            }

            fault.Remaining--;
            return fault.Code == 409
                ? new ApiError(409, "Conflict", "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again (injected)")
                : new ApiError(fault.Code, fault.Reason, $"injected fault: {fault.Reason}");
        }
    }

    /// <summary>
    /// Whether RBAC forbids every request on a resource (its plural, as in a ClusterRole) of a cluster:
    /// a client without a rule for it gets 403 Forbidden, as the API server's authorizer answers.
    /// </summary>
    public ApiError? Forbidden(string cluster, string path, string method)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var start = segments is ["api", ..] ? 2 : segments is ["apis", ..] ? 3 : segments.Length;
        if (start < segments.Length && segments[start] == "namespaces" && segments.Length > start + 2)
        {
            start += 2;
        }

        if (start >= segments.Length)
        {
            return null;
        }

        var resource = segments[start];
        lock (gate)
        {
            if (!forbidden.Any(f => (f.Cluster == "*" || f.Cluster == cluster) && f.Resource == resource))
            {
                return null;
            }
        }

        var group = segments[0] == "apis" ? segments[1] : "";
        var verb = method switch { "GET" => segments.Length > start + 1 ? "get" : "list", "POST" => "create", "PUT" => "update", "PATCH" => "patch", "DELETE" => "delete", _ => method.ToLowerInvariant() };
        return new ApiError(403, "Forbidden",
            $"{resource}{(group.Length > 0 ? "." + group : "")} is forbidden: User \"system:serviceaccount:reconcile-system:reconcile-discover\" cannot {verb} resource \"{resource}\" in API group \"{group}\" at the cluster scope");
    }

    /// <summary>The share of its bandwidth a link has now: 1 normally, less when slowed, 0 while a flapping link is down.</summary>
    public double LinkFactor(string link, DateTime now)
    {
        lock (gate)
        {
            if (!links.TryGetValue(link, out var fault))
            {
                return 1;
            }

            if (fault.Down is not { } down || fault.Up is not { } up)
            {
                return fault.Factor;
            }

            var phase = (now - fault.Since).Ticks % (down + up).Ticks;
            return phase < down.Ticks ? 0 : 1;
        }
    }

    /// <summary>Whether a migration of this VMI should fail now (consumes the matching fault).</summary>
    public bool TakeMigrationFailure(string cluster, string ns, string vmi)
    {
        lock (gate)
        {
            var index = failMigrations.FindIndex(f => (f.Cluster == "*" || f.Cluster == cluster) && (f.Namespace == "*" || f.Namespace == ns) && (f.Vmi == "*" || f.Vmi == vmi));
            if (index < 0)
            {
                return false;
            }

            failMigrations.RemoveAt(index);
            return true;
        }
    }
}
