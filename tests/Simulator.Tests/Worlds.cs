using System.Text.Json.Nodes;
using Reconcile.Compiler;
using Reconcile.Simulator.Api;
using Reconcile.Simulator.KubeVirt;
using Reconcile.Simulator.World;

namespace Reconcile.Simulator.Tests;

/// <summary>A simulated world built from an example plan's Topology and Inventories, with a clock that moves only when told.</summary>
internal sealed class FrozenWorld
{
    public static readonly DateTime Start = new(2027, 2, 1, 0, 0, 0, DateTimeKind.Utc);

    public FrozenWorld(string example, Func<string, string>? edit = null)
    {
        var validation = Load(example, edit);
        Clock = new SimulatedClock(Start, speed: 1e-9);
        World = new SimulatedWorld(validation.Model.Topologies[0], validation.Model.Inventories, Clock);
        Faults = new Faults();
        Engine = new MigrationEngine(World, Faults, seed: 7);
    }

    public SimulatedClock Clock { get; }

    public SimulatedWorld World { get; }

    public Faults Faults { get; }

    public MigrationEngine Engine { get; }

    public static ValidationResult Load(string example, Func<string, string>? edit = null)
    {
        using var dir = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("plans", "examples", example)))
        {
            var text = File.ReadAllText(file);
            File.WriteAllText(dir.File(Path.GetFileName(file)), edit is null ? text : edit(text));
        }

        var validation = PlanValidator.Validate(["."], dir.Path);
        Assert.False(validation.HasErrors, string.Join("\n", validation.Diagnostics));
        return validation;
    }

    public ClusterStore Store(string cluster) => World.Clusters[cluster].Store;

    /// <summary>A topology's text without its declared isolation, for tests about something other than network policies.</summary>
    public static string WithoutIsolation(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, @"(\n\s*isolatedBy: \[[^\]]*\][^\n]*)|(isolatedBy: \[[^\]]*\], )", "");

    /// <summary>Applies what `compile` renders for <paramref name="example"/> into each cluster's static/ folder whose name matches <paramref name="files"/>.</summary>
    public void ApplyRendered(string example, Func<string, bool> files)
    {
        var validation = Load(example);
        var result = Reconcile.Compiler.Compilation.Run(validation, Start, new Reconcile.Compiler.Rendering.TemplateSet(null, Repository.Root));
        foreach (var (path, content) in result.Files.Where(f => f.Key.Contains("/static/", StringComparison.Ordinal) && files(Path.GetFileName(f.Key))))
        {
            var cluster = path[..path.IndexOf('/')];
            var documents = new List<Reconcile.Compiler.Loading.PlanDocument>();
            Reconcile.Compiler.Loading.PlanLoader.LoadText(path, content, documents, []);
            foreach (var obj in documents.Select(d => d.Root).OfType<JsonObject>())
            {
                var kind = Store(cluster).Registry.FindKind(obj["apiVersion"]!.GetValue<string>(), obj["kind"]!.GetValue<string>())!;
                Store(cluster).Create(kind, obj["metadata"]?["namespace"]?.GetValue<string>() ?? "", obj, "reconcile");
            }
        }
    }

    /// <summary>Moves simulated time in steps of <paramref name="step"/>, ticking the engine each time.</summary>
    public void Run(TimeSpan duration, TimeSpan? step = null)
    {
        var by = step ?? TimeSpan.FromSeconds(1);
        for (var passed = TimeSpan.Zero; passed < duration; passed += by)
        {
            Clock.Advance(by);
            Engine.Tick();
        }
    }

    /// <summary>Runs until the VMIM reaches a final phase (or the limit), returning that phase.</summary>
    public string RunUntilFinal(string cluster, string ns, string vmim, TimeSpan limit)
    {
        Engine.Tick();
        for (var passed = TimeSpan.Zero; passed < limit; passed += TimeSpan.FromSeconds(1))
        {
            var phase = Phase(cluster, ns, vmim);
            if (phase is "Succeeded" or "Failed")
            {
                return phase;
            }

            Clock.Advance(TimeSpan.FromSeconds(1));
            Engine.Tick();
        }

        return Phase(cluster, ns, vmim) ?? "";
    }

    public string? Phase(string cluster, string ns, string vmim) =>
        Store(cluster).Get(ResourceRegistry.Migration, ns, vmim)?["status"]?["phase"]?.GetValue<string>();

    public JsonObject Migrate(string cluster, string ns, string name, string vmi, JsonObject? extraSpec = null)
    {
        var spec = new JsonObject { ["vmiName"] = vmi };
        foreach (var (key, value) in extraSpec ?? [])
        {
            spec[key] = value?.DeepClone();
        }

        return Store(cluster).Create(ResourceRegistry.Migration, ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec }, "test");
    }

    /// <summary>What the reconciler arranges before decentralized migrations: each cluster's kubevirt-ca trusts the others'.</summary>
    public void TrustEachOther(params string[] clusterNames)
    {
        foreach (var cluster in clusterNames)
        {
            var ca = Store(cluster).Get(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-ca")!;
            ca["data"]!["ca-bundle"] = ca["data"]!["ca-bundle"]!.GetValue<string>() + string.Concat(clusterNames.Where(c => c != cluster).Select(SimulatedWorld.CaCertificate));
            Store(cluster).Update(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-ca", ca, "test");
        }
    }

    /// <summary>
    /// A VM waiting as receiver, built from the source VM of that name in another cluster as the reconciler
    /// builds it (same domain), and a tick so that its VMI exists (KubeVirt admits the receiving VMIM only then).
    /// </summary>
    public void Receiver(string cluster, string ns, string name, JsonObject? nodeSelector = null, JsonObject? annotations = null)
    {
        var template = SourceTemplate(cluster, ns, name);
        if (nodeSelector is not null)
        {
            template["spec"]!["nodeSelector"] = nodeSelector;
        }

        Store(cluster).Create(ResourceRegistry.VirtualMachine, ns, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["annotations"] = annotations },
            ["spec"] = new JsonObject { ["runStrategy"] = "WaitAsReceiver", ["template"] = template },
        }, "test");
        Engine.Tick();
    }

    /// <summary>The template of the VM <paramref name="ns"/>/<paramref name="name"/> in a cluster other than <paramref name="except"/>.</summary>
    public JsonObject SourceTemplate(string except, string ns, string name) =>
        (JsonObject)World.Clusters.Where(c => c.Key != except).Select(c => c.Value.Store.Get(ResourceRegistry.VirtualMachine, ns, name)).OfType<JsonObject>().First()["spec"]!["template"]!.DeepClone();

    /// <summary>Creates the namespace unless the world has it already (the simulator prepares the VMs' namespaces, with their attachments, on every cluster).</summary>
    public void Namespace(string cluster, string name)
    {
        if (Store(cluster).Get(ResourceRegistry.Namespace, "", name) is null)
        {
            Store(cluster).Create(ResourceRegistry.Namespace, "", new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } }, "test");
        }
    }

    public void Policy(string cluster, string name, JsonObject selector, JsonObject settings)
    {
        var spec = new JsonObject { ["selectors"] = new JsonObject { ["virtualMachineInstanceSelector"] = selector.DeepClone() } };
        foreach (var (key, value) in settings)
        {
            spec[key] = value?.DeepClone();
        }

        Store(cluster).Create(ResourceRegistry.MigrationPolicy, "", new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec }, "test");
    }
}
