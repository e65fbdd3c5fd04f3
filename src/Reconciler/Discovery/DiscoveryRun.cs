using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.KubeConfigModels;
using Reconcile.Compiler.Model;

namespace Reconcile.Reconciler.Discovery;

/// <summary>A kubeconfig context to read, and the name its cluster gets in the plan.</summary>
public sealed record DiscoveryTarget(string Context, string Name);

/// <summary>A Prometheus to ask; <paramref name="Cluster"/> null serves every cluster (told apart by the cluster label when there are several).</summary>
public sealed record PrometheusSource(string? Cluster, Uri Url);

/// <param name="Kubeconfig">The kubeconfig's path, for messages.</param>
/// <param name="Config">That kubeconfig, read once (the command line refuses one that does not parse).</param>
/// <param name="Previous">Plan files whose values no API gives (link measurements, pod-network MTUs, storage replication, guest timings) are kept from.</param>
/// <param name="SchemaReference">What the files' yaml-language-server modeline points at.</param>
public sealed record DiscoveryRequest(
    string Kubeconfig,
    K8SConfiguration Config,
    IReadOnlyList<DiscoveryTarget> Targets,
    DiscoveryScope Scope,
    IReadOnlyList<PrometheusSource> Prometheus,
    string ClusterLabel,
    TimeSpan Lookback,
    double Percentile,
    PlanSet Previous,
    string SchemaReference,
    TimeSpan Timeout);

/// <summary>Something that could not be read; the run goes on without it.</summary>
public sealed record DiscoveryProblem(string Cluster, string Message);

/// <summary>The files to write (name → text), what failed, and one summary line per cluster.</summary>
public sealed record DiscoveryResult(IReadOnlyDictionary<string, string> Files, IReadOnlyList<DiscoveryProblem> Problems, IReadOnlyList<string> Summary, int ClustersRead);

/// <summary>
/// `reconcile discover`: reads each cluster and Prometheus, and writes topology.yaml and one
/// inventory-CLUSTER.yaml per cluster read. Output is ordered by name and carries no time, so the same
/// clusters give the same bytes and a re-run shows in Git only what changed.
/// </summary>
public static class DiscoveryRun
{
    public const string Marker = "# Written by `reconcile discover`";

    public static async Task<DiscoveryResult> RunAsync(DiscoveryRequest request, HttpClient http, CancellationToken cancel)
    {
        var config = request.Config;
        var problems = new List<DiscoveryProblem>();
        var summary = new List<string>();
        var read = new SortedDictionary<string, (DiscoveryTarget Target, ClusterObjects Objects, MeasuredRates Rates)>(StringComparer.Ordinal);
        foreach (var target in request.Targets)
        {
            if (config.Contexts?.Any(c => c.Name == target.Context) != true)
            {
                problems.Add(new DiscoveryProblem(target.Name, $"context \"{target.Context}\" is not in kubeconfig {request.Kubeconfig}"));
                continue;
            }

            ClusterObjects objects;
            try
            {
                var clientConfig = KubernetesClientConfiguration.BuildConfigFromConfigObject(config, target.Context);
                clientConfig.HttpClientTimeout = request.Timeout;
                using var client = new Kubernetes(clientConfig);
                objects = await new ClusterReader(client).ReadAsync(request.Scope, cancel);
            }
            catch (Exception e) when (e is ClusterUnreachableException or k8s.Exceptions.KubeConfigException or TaskCanceledException or OperationCanceledException && !cancel.IsCancellationRequested)
            {
                problems.Add(new DiscoveryProblem(target.Name, $"cluster unreachable through context \"{target.Context}\": {e.Message}"));
                continue;
            }

            problems.AddRange(objects.Failures.Select(f => new DiscoveryProblem(target.Name, $"cannot read {f.Resource.Id}{(f.Status is { } s ? $" (HTTP {s})" : "")}: {f.Message}")));
            var rates = await RatesAsync(request, target.Name, http, cancel);
            if (rates.Failure is { } failure)
            {
                problems.Add(new DiscoveryProblem(target.Name, failure));
            }

            read[target.Name] = (target, objects, rates);
        }

        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (read.Count > 0)
        {
            files["topology.yaml"] = TopologyFile(request, read.ToDictionary(r => r.Key, r => (r.Value.Target, r.Value.Objects)), problems);
        }

        foreach (var (name, (target, objects, rates)) in read)
        {
            if (!InventoryReadable(objects))
            {
                summary.Add($"{name}: VMs not readable; inventory-{name}.yaml left as it was");
                continue;
            }

            var (text, vms, stopped) = InventoryFile(request, target, objects, rates);
            files[$"inventory-{name}.yaml"] = text;
            summary.Add($"{name}: {objects.Of(ClusterReader.Nodes).Count} nodes, {objects.Of(ClusterReader.StorageClasses).Count} storage classes, {vms} running VMs{(stopped > 0 ? $" ({stopped} stopped, not listed)" : "")}, dirty rates for {rates.Guests.Values.Count(g => g.DirtyRate is not null)}");
        }

        return new DiscoveryResult(files, problems, summary, read.Count);
    }

    private static bool TopologyReadable(ClusterObjects objects) =>
        objects.FailureOf(ClusterReader.Nodes) is null && objects.FailureOf(ClusterReader.KubeVirts) is null;

    private static bool InventoryReadable(ClusterObjects objects) =>
        objects.FailureOf(ClusterReader.VirtualMachines) is null && objects.FailureOf(ClusterReader.Instances) is null;

    private static async Task<MeasuredRates> RatesAsync(DiscoveryRequest request, string cluster, HttpClient http, CancellationToken cancel)
    {
        var own = request.Prometheus.FirstOrDefault(p => p.Cluster == cluster);
        var shared = request.Prometheus.FirstOrDefault(p => p.Cluster is null);
        if ((own ?? shared) is not { } source)
        {
            return MeasuredRates.None;
        }

        // A Prometheus shared by several clusters tells them apart by the cluster label.
        var select = own is null && request.Targets.Count > 1 ? cluster : null;
        return await new PrometheusReader(http, source.Url).ReadAsync(select, request.ClusterLabel, request.Lookback, request.Percentile, cancel);
    }

    private static string Header(DiscoveryRequest request, string about)
    {
        var text = new StringBuilder();
        text.Append("# yaml-language-server: $schema=").Append(request.SchemaReference).Append('\n');
        text.Append("#\n");
        text.Append(Marker).Append(' ').Append(about).Append('\n');
        return text.ToString();
    }

    private static string TopologyFile(DiscoveryRequest request, IReadOnlyDictionary<string, (DiscoveryTarget Target, ClusterObjects Objects)> read, List<DiscoveryProblem> problems)
    {
        var previous = request.Previous.Topologies;
        var clusters = new SortedDictionary<string, YamlValue>(StringComparer.Ordinal);
        var notes = new SortedDictionary<string, string?>(StringComparer.Ordinal);
        // A cluster whose nodes or KubeVirt CR could not be read keeps its previous entry, so a partial run
        // loses nothing; without one it is described from what could be read, each gap commented.
        foreach (var target in request.Targets)
        {
            var before = previous.SelectMany(t => t.Clusters).FirstOrDefault(c => c.Name == target.Name);
            if (read.TryGetValue(target.Name, out var cluster) && (TopologyReadable(cluster.Objects) || before is null))
            {
                clusters[target.Name] = new ClusterDescription(target.Name, target.Context, cluster.Objects, before).Describe();
            }
            else if (before is not null)
            {
                clusters[target.Name] = ModelWriter.Cluster(before);
                notes[target.Name] = "not readable this time: the previous entry, unchanged";
            }
        }

        var names = clusters.Keys.ToList();
        var links = new List<YamlValue>();
        var linkNotes = new List<string?>();
        for (var i = 0; i < names.Count; i++)
        {
            for (var j = i + 1; j < names.Count; j++)
            {
                var measured = previous.SelectMany(t => t.Links).Where(l => (l.A == names[i] && l.B == names[j]) || (l.A == names[j] && l.B == names[i])).ToList();
                links.AddRange(measured.Count > 0 ? measured.Select(ModelWriter.Link) : [ModelWriter.UnmeasuredLink(names[i], names[j])]);
            }
        }

        var spec = new YamlMapping(
        [
            new("clusters", new YamlSequence([.. clusters.Values])),
            new("links", new YamlSequence(links), "No API says what the network between clusters does: pairs without latency and bandwidth are unmeasured (RC3029). Measured figures you add here are kept when discover runs again."),
        ]);
        var document = Document("Topology", previous.FirstOrDefault()?.Name ?? "discovered", spec);
        var text = new StringBuilder(Header(request, $"from {string.Join(", ", request.Targets.Select(t => $"{t.Name} (context {t.Context})"))}."));
        YamlText.Comment(text, "Every value that was defaulted, kept from an earlier file or could not be read says so in a comment. Re-run discover to refresh;\nvalues no API gives (links, pod-network MTUs, storage replication, guest timings) are kept from the files it reads.");
        foreach (var problem in problems.OrderBy(p => p.Cluster, StringComparer.Ordinal))
        {
            YamlText.Comment(text, $"INCOMPLETE: {problem.Cluster}: {problem.Message}");
        }

        foreach (var (name, note) in notes.Where(n => n.Value is not null))
        {
            YamlText.Comment(text, $"{name}: {note}");
        }

        YamlText.Write(text, document);
        return text.ToString();
    }

    private static (string Text, int Vms, int Stopped) InventoryFile(DiscoveryRequest request, DiscoveryTarget target, ClusterObjects objects, MeasuredRates rates)
    {
        static string Key(JsonObject o) => $"{PlanValues.Str(o["metadata"]?["namespace"])}/{PlanValues.Str(o["metadata"]?["name"])}";
        var instances = objects.Of(ClusterReader.Instances).Where(i => PlanValues.Str(i["status"]?["phase"]) == "Running").ToDictionary(Key, StringComparer.Ordinal);
        var context = new VmContext(
            objects.Of(ClusterReader.Claims).ToDictionary(Key, StringComparer.Ordinal),
            objects.Of(ClusterReader.PersistentVolumes).ToDictionary(p => PlanValues.Str(p["metadata"]?["name"]) ?? "", StringComparer.Ordinal),
            PlanValues.Str(objects.Of(ClusterReader.KubeVirts).FirstOrDefault()?["spec"]?["configuration"]?["evictionStrategy"]),
            request.Prometheus.Count > 0);
        var previousVms = request.Previous.Inventories.Where(i => i.Cluster == target.Name).SelectMany(i => i.Vms).GroupBy(v => v.Id).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var vms = new List<YamlValue>();
        var stopped = new List<string>();
        foreach (var vm in objects.Of(ClusterReader.VirtualMachines).OrderBy(Key, StringComparer.Ordinal))
        {
            var key = Key(vm);
            if (!instances.TryGetValue(key, out var vmi))
            {
                stopped.Add(key);
                continue;
            }

            var rate = rates.Of(PlanValues.Str(vm["metadata"]?["namespace"]) ?? "", PlanValues.Str(vm["metadata"]?["name"]) ?? "");
            vms.Add(VmDescription.Describe(vm, vmi, context, rate, previousVms.GetValueOrDefault(key)));
        }

        var spec = new YamlMapping([new("cluster", YamlScalar.Of(target.Name)), new("vms", new YamlSequence(vms))]);
        var text = new StringBuilder(Header(request, $"from cluster {target.Name} (context {target.Context})."));
        var source = request.Prometheus.FirstOrDefault(p => p.Cluster == target.Name) ?? request.Prometheus.FirstOrDefault(p => p.Cluster is null);
        YamlText.Comment(text, source is null
            ? "Dirty and write rates: not measured (no --prometheus); rates from an earlier file are kept."
            : $"Dirty and write rates: the {request.Percentile * 100:0.#}th percentile over {PrometheusReader.PromDuration(request.Lookback)} from Prometheus at {Redacted(source.Url)}{(rates.Failure is not null ? " (FAILED, see topology.yaml; rates from an earlier file are kept)" : "")}.");
        if (request.Scope.Namespaces.Count > 0 || request.Scope.Selector is not null)
        {
            YamlText.Comment(text, $"Only VMs{(request.Scope.Namespaces.Count > 0 ? $" in namespaces {string.Join(", ", request.Scope.Namespaces)}" : "")}{(request.Scope.Selector is { } selector ? $" matching {selector}" : "")}.");
        }

        if (stopped.Count > 0)
        {
            YamlText.Comment(text, $"Not listed, not running (nothing to migrate live): {string.Join(", ", stopped)}");
        }

        YamlText.Write(text, Document("Inventory", $"{target.Name}-vms", spec));
        return (text.ToString(), vms.Count, stopped.Count);
    }

    private static YamlMapping Document(string kind, string name, YamlMapping spec) => new(
    [
        new("apiVersion", YamlScalar.Raw("migration.reconcile.dev/v1alpha1")),
        new("kind", YamlScalar.Raw(kind)),
        new("metadata", new YamlMapping([new YamlEntry("name", YamlScalar.Of(name))])),
        new("spec", spec),
    ]);

    /// <summary>The URL without credentials, for a comment.</summary>
    private static string Redacted(Uri url) => url.UserInfo.Length == 0 ? url.ToString() : new UriBuilder(url) { UserName = "", Password = "" }.Uri.ToString();
}
