using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;

namespace Reconcile.Reconciler.Discovery;

/// <summary>One resource discovery reads: its API group, plural and whether it lives in namespaces.</summary>
public sealed record ReadResource(string Group, string Version, string Plural, bool Namespaced)
{
    public string Id => Group.Length == 0 ? Plural : $"{Plural}.{Group}";
}

/// <summary>A resource that could not be read from a cluster, and why (the API's own message).</summary>
public sealed record ReadFailure(ReadResource Resource, int? Status, string Message);

/// <summary>Everything read from one cluster, as the API returned it, and what could not be read.</summary>
public sealed record ClusterObjects(IReadOnlyDictionary<ReadResource, IReadOnlyList<JsonObject>> Objects, IReadOnlyList<ReadFailure> Failures)
{
    public IReadOnlyList<JsonObject> Of(ReadResource resource) => Objects.TryGetValue(resource, out var list) ? list : [];

    public ReadFailure? FailureOf(ReadResource resource) => Failures.FirstOrDefault(f => f.Resource == resource);
}

/// <summary>What `reconcile discover` reads from each cluster.</summary>
/// <param name="Namespaces">Only VMs (and their claims) in these namespaces; all when empty.</param>
/// <param name="Selector">A label selector the VMs must match; all when null.</param>
public sealed record DiscoveryScope(IReadOnlyList<string> Namespaces, string? Selector);

/// <summary>
/// Reads a cluster through the Kubernetes API (KubernetesClient), get and list only. A resource the
/// cluster does not serve (404: CDI, Multus or OpenShift routes not installed) reads as empty; one the
/// credentials may not read (403) or that fails otherwise is recorded and the rest is still read. The
/// resources are listed in <see cref="Resources"/>, which deploy/discovery-rbac.yaml grants (a test
/// keeps the two equal).
/// </summary>
public sealed class ClusterReader(IKubernetes client)
{
    public static readonly ReadResource Nodes = new("", "v1", "nodes", false);
    public static readonly ReadResource PersistentVolumes = new("", "v1", "persistentvolumes", false);
    public static readonly ReadResource Claims = new("", "v1", "persistentvolumeclaims", true);
    public static readonly ReadResource StorageClasses = new("storage.k8s.io", "v1", "storageclasses", false);
    public static readonly ReadResource Ingresses = new("networking.k8s.io", "v1", "ingresses", true);
    public static readonly ReadResource NetworkPolicies = new("networking.k8s.io", "v1", "networkpolicies", true);
    public static readonly ReadResource KubeVirts = new("kubevirt.io", "v1", "kubevirts", true);
    public static readonly ReadResource VirtualMachines = new("kubevirt.io", "v1", "virtualmachines", true);
    public static readonly ReadResource Instances = new("kubevirt.io", "v1", "virtualmachineinstances", true);
    public static readonly ReadResource StorageProfiles = new("cdi.kubevirt.io", "v1beta1", "storageprofiles", false);
    public static readonly ReadResource Attachments = new("k8s.cni.cncf.io", "v1", "network-attachment-definitions", true);
    public static readonly ReadResource MultiNetworkPolicies = new("k8s.cni.cncf.io", "v1beta1", "multi-networkpolicies", true);
    public static readonly ReadResource Routes = new("route.openshift.io", "v1", "routes", true);

    public static IReadOnlyList<ReadResource> Resources { get; } =
        [Nodes, PersistentVolumes, Claims, StorageClasses, Ingresses, NetworkPolicies, KubeVirts, VirtualMachines, Instances, StorageProfiles, Attachments, MultiNetworkPolicies, Routes];

    /// <summary>Reads everything; throws <see cref="ClusterUnreachableException"/> when the API server cannot be reached at all.</summary>
    public async Task<ClusterObjects> ReadAsync(DiscoveryScope scope, CancellationToken cancel)
    {
        var objects = new Dictionary<ReadResource, IReadOnlyList<JsonObject>>();
        var failures = new List<ReadFailure>();

        async Task Read(ReadResource resource, string? ns, string? selector = null)
        {
            try
            {
                var items = await ListAsync(resource, ns, selector, cancel);
                objects[resource] = objects.TryGetValue(resource, out var before) ? [.. before, .. items] : items;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                objects.TryAdd(resource, []);
            }
            catch (HttpOperationException e)
            {
                failures.Add(new ReadFailure(resource, (int)e.Response.StatusCode, StatusMessage(e)));
            }
            catch (HttpRequestException e)
            {
                throw new ClusterUnreachableException(e.Message, e);
            }
        }

        // The KubeVirt CR first: it says which namespace KubeVirt runs in (its proxies and policies live there).
        await Read(KubeVirts, null);
        var install = objects.GetValueOrDefault(KubeVirts)?.FirstOrDefault()?["metadata"]?["namespace"]?.GetValue<string>() ?? "kubevirt";
        foreach (var resource in new[] { Nodes, PersistentVolumes, StorageClasses, StorageProfiles, Attachments })
        {
            await Read(resource, null);
        }

        foreach (var resource in new[] { Ingresses, NetworkPolicies, MultiNetworkPolicies, Routes })
        {
            await Read(resource, install);
        }

        foreach (var ns in scope.Namespaces.Count == 0 ? [null] : scope.Namespaces.Cast<string?>())
        {
            await Read(VirtualMachines, ns, scope.Selector);
            await Read(Instances, ns);
            await Read(Claims, ns);
        }

        return new ClusterObjects(objects, failures);
    }

    private async Task<IReadOnlyList<JsonObject>> ListAsync(ReadResource resource, string? ns, string? selector, CancellationToken cancel)
    {
        // Built-in kinds through the typed API (the custom objects API serves only named groups), the rest as custom objects.
        object list = resource.Plural switch
        {
            "nodes" when resource == Nodes => await client.CoreV1.ListNodeAsync(cancellationToken: cancel),
            "persistentvolumes" when resource == PersistentVolumes => await client.CoreV1.ListPersistentVolumeAsync(cancellationToken: cancel),
            "persistentvolumeclaims" when resource == Claims => ns is null
                ? await client.CoreV1.ListPersistentVolumeClaimForAllNamespacesAsync(cancellationToken: cancel)
                : await client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns, cancellationToken: cancel),
            "storageclasses" when resource == StorageClasses => await client.StorageV1.ListStorageClassAsync(cancellationToken: cancel),
            "ingresses" when resource == Ingresses => await client.NetworkingV1.ListNamespacedIngressAsync(ns, cancellationToken: cancel),
            "networkpolicies" when resource == NetworkPolicies => await client.NetworkingV1.ListNamespacedNetworkPolicyAsync(ns, cancellationToken: cancel),
            _ when ns is null => await client.CustomObjects.ListClusterCustomObjectAsync(resource.Group, resource.Version, resource.Plural, labelSelector: selector, cancellationToken: cancel),
            _ => await client.CustomObjects.ListNamespacedCustomObjectAsync(resource.Group, resource.Version, ns, resource.Plural, labelSelector: selector, cancellationToken: cancel),
        };

        var json = JsonNode.Parse(KubernetesJson.Serialize(list));
        return [.. (json?["items"]?.AsArray() ?? []).OfType<JsonObject>()];
    }

    /// <summary>The message of the API's Status body (what kubectl prints), else the HTTP reason.</summary>
    private static string StatusMessage(HttpOperationException e)
    {
        try
        {
            if (JsonNode.Parse(e.Response.Content ?? "")?["message"]?.GetValue<string>() is { Length: > 0 } message)
            {
                return message;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return $"{(int)e.Response.StatusCode} {e.Response.ReasonPhrase}";
    }
}

/// <summary>The API server of a cluster did not answer (connection refused, DNS, TLS).</summary>
public sealed class ClusterUnreachableException(string message, Exception inner) : Exception(message, inner);
