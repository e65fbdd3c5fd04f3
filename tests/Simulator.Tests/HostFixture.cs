using Reconcile.Compiler;

namespace Reconcile.Simulator.Tests;

/// <summary>A running simulator (real Kestrel on 127.0.0.1) for one test, with its kubeconfig on disk.</summary>
internal sealed class RunningSimulator : IAsyncDisposable
{
    private readonly TempDirectory dir = new();

    private RunningSimulator(SimulatorHost host)
    {
        Host = host;
        Kubeconfig = dir.File("kubeconfig");
        File.WriteAllText(Kubeconfig, host.Kubeconfig());
    }

    public SimulatorHost Host { get; }

    public string Kubeconfig { get; }

    public string Directory => dir.Path;

    public static async Task<RunningSimulator> Start(string example, double speed = 1e-9, int historyLimit = 5000)
    {
        var validation = FrozenWorld.Load(example);
        var host = await SimulatorHost.StartAsync(validation.Model.Topologies[0], validation.Model.Inventories,
            new SimulatorOptions(FrozenWorld.Start, speed, HistoryLimit: historyLimit));
        return new RunningSimulator(host);
    }

    /// <summary>A gateway per simulated cluster, through its context of the kubeconfig (as the reconciler reaches clusters).</summary>
    public IReadOnlyDictionary<string, Reconcile.Reconciler.Clusters.IClusterGateway> Gateways() =>
        Host.World.Clusters.Keys.ToDictionary(c => c, c => (Reconcile.Reconciler.Clusters.IClusterGateway)Reconcile.Reconciler.Clusters.KubernetesGateway.FromKubeconfig(c, Kubeconfig, c));

    /// <summary>Plain HTTP to one cluster's API (relative paths such as "api/v1/nodes").</summary>
    public HttpClient Http(string cluster) => new() { BaseAddress = new Uri(Host.ClusterAddress(cluster) + "/"), Timeout = TimeSpan.FromSeconds(30) };

    public k8s.Kubernetes Client(string context) =>
        new(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig, currentContext: context));

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        dir.Dispose();
    }
}
