using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Reconcile.Reconciler.Clusters;

/// <summary>
/// One cluster through the official C# client (KubernetesClient): group kinds through the custom
/// objects API (which serves any group), core ones through the typed API. Plurals follow the API's
/// rule for the kinds Reconcile renders (…y → …ies, else …s), with the one exception it renders.
/// </summary>
public sealed class KubernetesGateway(string cluster, IKubernetes client) : IClusterGateway
{
    public const string FieldManager = "reconcile";

    /// <summary>
    /// The field manager of partial patches (annotation migration.reconcile.dev/apply: patch): a
    /// server-side apply removes the fields its manager applied before and omits now, so a patch that sets
    /// only a run strategy under "reconcile" would strip a VM that Reconcile itself created (a receiver) of
    /// everything else. Patches therefore own their few fields under a manager of their own.
    /// </summary>
    public const string PatchFieldManager = "reconcile-patch";

    public const string ApplyAnnotation = Compiler.Facts.Conventions.ApplyAnnotation;

    private static string ManagerOf(JsonObject obj) =>
        obj["metadata"]?["annotations"]?[ApplyAnnotation]?.GetValue<string>() == "patch" ? PatchFieldManager : FieldManager;

    public string Cluster => cluster;

    public static KubernetesGateway FromKubeconfig(string cluster, string kubeconfig, string context) =>
        new(cluster, new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig, currentContext: context)));

    /// <summary>A gateway for <paramref name="context"/> of a kubeconfig already loaded (several files merged, as kubectl merges $KUBECONFIG).</summary>
    public static KubernetesGateway FromKubeconfig(string cluster, k8s.KubeConfigModels.K8SConfiguration kubeconfig, string context) =>
        new(cluster, new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigObject(kubeconfig, context)));

    public static string Plural(string kind)
    {
        if (IrregularPlurals.TryGetValue(kind, out var plural))
        {
            return plural;
        }

        var lower = kind.ToLowerInvariant();
        return lower.EndsWith('y') ? lower[..^1] + "ies" : lower + "s";
    }

    /// <summary>Resources not named by the rule: multi-networkpolicy registers "multi-networkpolicies" (its clientset, pkg/client/…/multinetworkpolicy.go).</summary>
    private static readonly IReadOnlyDictionary<string, string> IrregularPlurals = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["MultiNetworkPolicy"] = "multi-networkpolicies",
    };

    private static (string Group, string Version) Split(string apiVersion) =>
        apiVersion.Contains('/') ? (apiVersion[..apiVersion.IndexOf('/')], apiVersion[(apiVersion.IndexOf('/') + 1)..]) : ("", apiVersion);

    private static (string ApiVersion, string Kind, string? Ns, string Name) Identity(JsonObject obj) => (
        obj["apiVersion"]!.GetValue<string>(), obj["kind"]!.GetValue<string>(),
        obj["metadata"]?["namespace"]?.GetValue<string>(), obj["metadata"]!["name"]!.GetValue<string>());

    // The client hands custom objects over as a JsonElement: wrapped, not printed and parsed again, so the
    // parts a caller never touches (a large run's status) are never built into nodes.
    private static JsonObject Parse(object? value) => value switch
    {
        null => [],
        JsonElement { ValueKind: JsonValueKind.Object } element => JsonObject.Create(element)!,
        _ => JsonNode.Parse(JsonSerializer.Serialize(value))!.AsObject(),
    };

    public async Task<JsonObject> ApplyAsync(JsonObject obj, CancellationToken cancel)
    {
        var (apiVersion, kind, ns, name) = Identity(obj);
        var (group, version) = Split(apiVersion);
        var manager = ManagerOf(obj);
        // The marker tells the reconciler how to apply; it is not part of the object.
        var sent = (JsonObject)obj.DeepClone();
        if (sent["metadata"]?["annotations"] is JsonObject annotations && annotations.Remove(ApplyAnnotation) && annotations.Count == 0)
        {
            ((JsonObject)sent["metadata"]!).Remove("annotations");
        }

        var patch = new V1Patch(sent.ToJsonString(), V1Patch.PatchType.ApplyPatch);
        if (group.Length == 0)
        {
            return kind switch
            {
                "Namespace" => Parse(await client.CoreV1.PatchNamespaceAsync(patch, name, fieldManager: FieldManager, force: true, cancellationToken: cancel)),
                "ConfigMap" => Parse(await client.CoreV1.PatchNamespacedConfigMapAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancel)),
                "Secret" => Parse(await client.CoreV1.PatchNamespacedSecretAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancel)),
                _ => throw new NotSupportedException($"core kind {kind} is not one Reconcile applies"),
            };
        }

        return ns is null
            ? Parse(await client.CustomObjects.PatchClusterCustomObjectAsync(patch, group, version, Plural(kind), name, fieldManager: manager, force: true, cancellationToken: cancel))
            : Parse(await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, group, version, ns, Plural(kind), name, fieldManager: manager, force: true, cancellationToken: cancel));
    }

    public async Task<JsonObject> ApplyStatusAsync(JsonObject obj, CancellationToken cancel)
    {
        var (apiVersion, kind, ns, name) = Identity(obj);
        var (group, version) = Split(apiVersion);
        var body = new JsonObject { ["status"] = obj["status"]?.DeepClone() };
        var patch = new V1Patch(body.ToJsonString(), V1Patch.PatchType.MergePatch);
        return Parse(await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, group, version, ns, Plural(kind), name, fieldManager: FieldManager, cancellationToken: cancel));
    }

    /// <summary>
    /// A JSON merge patch of a namespaced custom object under <paramref name="manager"/>: how an operator's
    /// command (`reconcile suspend`) sets a field the reconciler's server-side apply leaves alone.
    /// </summary>
    public async Task<JsonObject> MergePatchAsync(string apiVersion, string kind, string ns, string name, JsonObject patch, string manager, CancellationToken cancel)
    {
        var (group, version) = Split(apiVersion);
        return Parse(await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch),
            group, version, ns, Plural(kind), name, fieldManager: manager, cancellationToken: cancel));
    }

    public async Task<JsonObject?> GetAsync(string apiVersion, string kind, string? ns, string name, CancellationToken cancel)
    {
        var (group, version) = Split(apiVersion);
        try
        {
            if (group.Length == 0)
            {
                return kind switch
                {
                    "Namespace" => Parse(await client.CoreV1.ReadNamespaceAsync(name, cancellationToken: cancel)),
                    "Secret" => Parse(await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancel)),
                    "ConfigMap" => Parse(await client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: cancel)),
                    _ => throw new NotSupportedException($"core kind {kind} is not one Reconcile reads"),
                };
            }

            return ns is null
                ? Parse(await client.CustomObjects.GetClusterCustomObjectAsync(group, version, Plural(kind), name, cancel))
                : Parse(await client.CustomObjects.GetNamespacedCustomObjectAsync(group, version, ns, Plural(kind), name, cancel));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<JsonObject>> ListAsync(string apiVersion, string kind, string? ns, string? labelSelector, CancellationToken cancel)
    {
        var (group, version) = Split(apiVersion);
        try
        {
            var list = ns is null
                ? Parse(await client.CustomObjects.ListClusterCustomObjectAsync(group, version, Plural(kind), labelSelector: labelSelector, cancellationToken: cancel))
                : Parse(await client.CustomObjects.ListNamespacedCustomObjectAsync(group, version, ns, Plural(kind), labelSelector: labelSelector, cancellationToken: cancel));
            return [.. (list["items"]?.AsArray() ?? []).OfType<JsonObject>()];
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // A kind the cluster does not serve (its CRD not installed yet) has no objects.
            return [];
        }
    }

    public async Task DeleteAsync(string apiVersion, string kind, string? ns, string name, CancellationToken cancel)
    {
        var (group, version) = Split(apiVersion);
        try
        {
            if (ns is null)
            {
                await client.CustomObjects.DeleteClusterCustomObjectAsync(group, version, Plural(kind), name, cancellationToken: cancel);
            }
            else
            {
                await client.CustomObjects.DeleteNamespacedCustomObjectAsync(group, version, ns, Plural(kind), name, cancellationToken: cancel);
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    public async Task RecordEventAsync(JsonObject involved, string type, string reason, string message, DateTime time, CancellationToken cancel)
    {
        var (apiVersion, kind, ns, name) = Identity(involved);
        // Unique per object, reason and message: the same event is not recorded twice.
        var id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{reason}/{message}")))[..10];
        var ev = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = $"{name}.{id}", NamespaceProperty = ns },
            InvolvedObject = new V1ObjectReference { ApiVersion = apiVersion, Kind = kind, Name = name, NamespaceProperty = ns, Uid = involved["metadata"]?["uid"]?.GetValue<string>() },
            Type = type,
            Reason = reason,
            Message = message,
            Source = new V1EventSource { Component = FieldManager },
            FirstTimestamp = time,
            LastTimestamp = time,
            Count = 1,
        };
        try
        {
            await client.CoreV1.CreateNamespacedEventAsync(ev, ns ?? "default", cancellationToken: cancel);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
        }
    }

    public async Task EnsureNamespaceAsync(string ns, CancellationToken cancel)
    {
        try
        {
            await client.CoreV1.ReadNamespaceAsync(ns, cancellationToken: cancel);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: cancel);
        }
    }
}
