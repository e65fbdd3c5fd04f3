using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Reconcile.Cli;
using Reconcile.Compiler;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// `discover` when parts of the world do not answer: a context missing from the kubeconfig, an API
/// server that is down, RBAC that forbids one kind, Prometheus down or refusing the query. Each is
/// named, the rest is written, and the exit code (3) says the result is partial.
/// </summary>
public sealed class DiscoveryFailureTests
{
    private static (int Exit, string Out, string Error) Discover(string cwd, params string[] args) => DiscoveryTests.Discover(cwd, args);

    /// <summary>The simulator's kubeconfig with one more context, "gone", whose API server does not listen.</summary>
    private static string KubeconfigWithDeadCluster(RunningSimulator sim, int port)
    {
        var text = File.ReadAllText(sim.Kubeconfig)
            .Replace("clusters:\n", $"clusters:\n- name: gone\n  cluster:\n    server: http://127.0.0.1:{port}\n", StringComparison.Ordinal)
            .Replace("contexts:\n", "contexts:\n- name: gone\n  context:\n    cluster: gone\n    user: simulator\n", StringComparison.Ordinal);
        var path = Path.Combine(sim.Directory, "kubeconfig-with-gone");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task A_missing_context_a_dead_API_server_and_a_forbidden_kind_are_named_and_the_rest_is_written()
    {
        await using var sim = await RunningSimulator.Start("onprem-to-cloud");
        Assert.Null(sim.Host.Faults.Add(new JsonObject { ["type"] = "forbid", ["cluster"] = "aws-euw1", ["resource"] = "storageclasses" }, DateTime.UtcNow));
        var output = Path.Combine(sim.Directory, "plans");
        using var dead = new RefusingPort();
        var (exit, stdout, error) = Discover(sim.Directory, "--kubeconfig", KubeconfigWithDeadCluster(sim, dead.Port),
            "--context", "ams-onprem", "--context", "aws-euw1", "--context", "gone", "--context", "nowhere", "--timeout", "5s", "--out", output);

        Assert.Equal(ExitCodes.Partial, exit);
        Assert.Contains("reconcile: discover: nowhere: context \"nowhere\" is not in kubeconfig", error);
        Assert.Contains("reconcile: discover: gone: cluster unreachable through context \"gone\"", error);
        Assert.Contains("reconcile: discover: aws-euw1: cannot read storageclasses.storage.k8s.io (HTTP 403): storageclasses.storage.k8s.io is forbidden", error);
        Assert.DoesNotContain("RC1099", error);
        Assert.Equal(["inventory-ams-onprem.yaml", "inventory-aws-euw1.yaml", "plan.schema.json", "topology.yaml"],
            Directory.EnumerateFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("wrote plans/inventory-ams-onprem.yaml", stdout);

        var topology = File.ReadAllText(Path.Combine(output, "topology.yaml"));
        Assert.Contains("# INCOMPLETE: aws-euw1: cannot read storageclasses.storage.k8s.io (HTTP 403)", topology);
        Assert.Contains("# INCOMPLETE: gone: cluster unreachable", topology);
        Assert.Contains("storageClasses: []  # could not read storageclasses.storage.k8s.io: storageclasses.storage.k8s.io is forbidden", topology);
        var result = PlanValidator.Validate([output], output);
        Assert.DoesNotContain(result.Diagnostics, d => d.IsError);
        Assert.Equal(28, result.Model.Inventories.Single(i => i.Cluster == "ams-onprem").Vms.Length);
    }

    [Fact]
    public async Task A_cluster_that_cannot_be_read_keeps_its_entry_from_the_previous_run()
    {
        await using var sim = await RunningSimulator.Start("onprem-to-cloud");
        var output = Path.Combine(sim.Directory, "plans");
        Assert.Equal(0, Discover(sim.Directory, "--kubeconfig", sim.Kubeconfig, "--context", "ams-onprem", "--context", "aws-euw1", "--out", output).Exit);
        var before = PlanValidator.Validate([output], output).Model.Topologies[0].Clusters.Single(c => c.Name == "aws-euw1");

        // aws-euw1's API server now answers every request with a 503.
        Assert.Null(sim.Host.Faults.Add(new JsonObject { ["type"] = "api-error", ["cluster"] = "aws-euw1", ["code"] = 503, ["count"] = 1000 }, DateTime.UtcNow));
        var (exit, _, error) = Discover(sim.Directory, "--kubeconfig", sim.Kubeconfig, "--context", "ams-onprem", "--context", "aws-euw1", "--out", output);
        Assert.Equal(ExitCodes.Partial, exit);
        Assert.Contains("aws-euw1: cannot read", error);
        var after = PlanValidator.Validate([output], output).Model.Topologies[0].Clusters.Single(c => c.Name == "aws-euw1");
        // Every kind failed, so nothing of it was read: its nodes and classes are the previous run's.
        Assert.Equal(before.Nodes.Select(n => (n.Name, n.MemoryBytes, n.CpuModel)), after.Nodes.Select(n => (n.Name, n.MemoryBytes, n.CpuModel)));
    }

    [Fact]
    public async Task Prometheus_down_or_refusing_the_query_is_named_and_the_rates_are_left_to_the_planner()
    {
        await using var sim = await RunningSimulator.Start("node-drain");
        var output = Path.Combine(sim.Directory, "plans");
        using var down = new RefusingPort();
        var (exit, _, error) = Discover(sim.Directory, "--kubeconfig", sim.Kubeconfig, "--context", "ber-1", "--prometheus", $"http://127.0.0.1:{down.Port}", "--out", output);
        Assert.Equal(ExitCodes.Partial, exit);
        Assert.Matches(@"ber-1: Prometheus at http://127\.0\.0\.1:\d+/ cannot be reached", error);
        var inventory = File.ReadAllText(Path.Combine(output, "inventory-ber-1.yaml"));
        Assert.Contains("(FAILED, see topology.yaml; rates from an earlier file are kept)", inventory);
        Assert.Contains("# dirtyRate: no kubevirt_vmi_dirty_rate_bytes_per_second samples in the lookback", inventory);
        Assert.DoesNotContain("\n      dirtyRate:", inventory);

        using var refusing = new RefusingPrometheus();
        (exit, _, error) = Discover(sim.Directory, "--kubeconfig", sim.Kubeconfig, "--context", "ber-1", "--prometheus", $"ber-1={refusing.Url}", "--out", output);
        Assert.Equal(ExitCodes.Partial, exit);
        Assert.Contains("refused the query (HTTP 422, bad_data): 1:1: parse error: unknown function", error);
        Assert.Contains("quantile_over_time(0.95, kubevirt_vmi_dirty_rate_bytes_per_second[7d])", refusing.Queries.First());
    }

    [Fact]
    public async Task A_file_discover_did_not_write_is_never_overwritten_and_a_rerun_is_byte_identical_and_keeps_measured_links()
    {
        await using var sim = await RunningSimulator.Start("onprem-to-cloud");
        var output = Path.Combine(sim.Directory, "plans");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "topology.yaml"), "# my own topology\n");
        var (exit, _, error) = Discover(sim.Directory, "--kubeconfig", sim.Kubeconfig, "--context", "ams-onprem", "--context", "aws-euw1", "--out", output);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("topology.yaml exists and was not written by discover", error);
        Assert.Equal("# my own topology\n", File.ReadAllText(Path.Combine(output, "topology.yaml")));
        Assert.Equal(["topology.yaml"], Directory.EnumerateFiles(output).Select(Path.GetFileName));

        File.Delete(Path.Combine(output, "topology.yaml"));
        string[] args = ["--kubeconfig", sim.Kubeconfig, "--context", "ams-onprem", "--context", "aws-euw1", "--out", output];
        Assert.Equal(0, Discover(sim.Directory, args).Exit);
        var first = Directory.EnumerateFiles(output).Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        Assert.Equal(0, Discover(sim.Directory, args).Exit);
        Assert.Equal(first, Directory.EnumerateFiles(output).Order(StringComparer.Ordinal).Select(File.ReadAllText));

        // The operator measures the link; the next run keeps the figures.
        var topology = Path.Combine(output, "topology.yaml");
        var measured = File.ReadAllText(topology).Replace("    - between: [ams-onprem, aws-euw1]", "    - between: [ams-onprem, aws-euw1]\n      latency: 4ms\n      bandwidth: 20Gbps", StringComparison.Ordinal);
        File.WriteAllText(topology, measured);
        Assert.Contains("bandwidth: 20Gbps", measured);
        Assert.Equal(0, Discover(sim.Directory, args).Exit);
        var link = PlanValidator.Validate([output], output).Model.Topologies[0].Links.Single();
        Assert.Equal((TimeSpan.FromMilliseconds(4), 20_000_000_000L), (link.Latency, link.BandwidthBitsPerSecond));
    }

    [Fact]
    public async Task What_a_faulty_cluster_holds_cannot_change_the_files_structure_and_validate_points_at_it()
    {
        await using var sim = await RunningSimulator.Start("node-drain");
        var store = sim.Host.World.Clusters["ber-1"].Store;
        var vm = store.Get(Api.ResourceRegistry.VirtualMachine, "monitoring", "grafana-0")!;
        vm["metadata"]!["labels"]!["app"] = "grafana\n      evil: {injected: true}  # ";
        store.Update(Api.ResourceRegistry.VirtualMachine, "monitoring", "grafana-0", vm, "someone");
        var output = Path.Combine(sim.Directory, "plans");
        var (exit, _, error) = Discover(sim.Directory, "--kubeconfig", sim.Kubeconfig, "--context", "ber-1", "--out", output);
        Assert.True(exit == 0, error);

        var inventory = Path.Combine(output, "inventory-ber-1.yaml");
        var text = File.ReadAllText(inventory);
        Assert.Contains("labels: {app: \"grafana\\n      evil: {injected: true}  # \"}", text);
        var result = PlanValidator.Validate([output], output);
        var line = text.Split('\n').ToList().FindIndex(l => l.Contains("evil", StringComparison.Ordinal)) + 1;
        var diagnostic = Assert.Single(result.Diagnostics, d => d.IsError);
        Assert.Equal(("RC1014", "inventory-ber-1.yaml", line), (diagnostic.Code, Path.GetFileName(diagnostic.Location.File), diagnostic.Location.Line));
        Assert.DoesNotContain(result.Model.Inventories.SelectMany(i => i.Vms), v => v.Labels.ContainsKey("evil"));
    }

    [Theory]
    [InlineData("malformed", "--context x", "cannot read kubeconfig")]
    [InlineData("no-current", "", "names no current context: say which with --context")]
    [InlineData("valid", "--context Admin@Prod", "\"Admin@Prod\" is not a cluster name the plan accepts")]
    [InlineData("valid", "--context a=one --context b=one", "two contexts would both be cluster \"one\"")]
    [InlineData("valid", "--context a --prometheus ftp://metrics", "--prometheus ftp://metrics: not an http(s) URL")]
    [InlineData("valid", "--context a --prometheus b=http://metrics", "no cluster \"b\" is being discovered")]
    [InlineData("valid", "--context a --lookback 5s", "--lookback 5s: a duration between 10s and 366d")]
    [InlineData("valid", "--context a --percentile 2", "--percentile 2: a fraction above 0 and at most 1")]
    [InlineData("valid", "--context a --timeout forever", "--timeout forever: a duration between 1s and 1h")]
    [InlineData("valid", "--context a --cluster-label bad-label", "--cluster-label bad-label: not a Prometheus label name")]
    [InlineData("valid", "--context a --keep nowhere", "--keep")]
    public void A_bad_command_line_is_named_exits_2_and_writes_nothing(string kubeconfig, string args, string message)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("kubeconfig"), kubeconfig switch
        {
            "malformed" => "apiVersion: v1\nkind: Config\nclusters: [\n",
            "no-current" => "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
            _ => "apiVersion: v1\nkind: Config\nclusters: [{name: a, cluster: {server: http://127.0.0.1:1}}]\nusers: [{name: u, user: {token: t}}]\n" +
                 "contexts: [{name: a, context: {cluster: a, user: u}}]\ncurrent-context: a\n",
        });
        var (exit, _, error) = Discover(dir.Path, ["--kubeconfig", "kubeconfig", .. args.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--out", "plans"]);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains(message, error);
        Assert.DoesNotContain("RC1099", error);
        Assert.False(Directory.Exists(dir.File("plans")));
    }

    [Fact]
    public async Task Namespaces_and_a_selector_narrow_the_VMs_and_the_file_says_so()
    {
        await using var sim = await RunningSimulator.Start("node-drain");
        var output = Path.Combine(sim.Directory, "plans");
        var (exit, _, error) = Discover(sim.Directory, "--kubeconfig", sim.Kubeconfig, "--context", "ber-1", "-n", "monitoring", "-n", "erp", "-l", "app!=grafana", "--out", output);
        Assert.True(exit == 0, error);
        var text = File.ReadAllText(Path.Combine(output, "inventory-ber-1.yaml"));
        Assert.Contains("# Only VMs in namespaces monitoring, erp matching app!=grafana.", text);
        var world = FrozenWorld.Load("node-drain").Model.Inventories.SelectMany(i => i.Vms)
            .Where(v => v.Namespace is "monitoring" or "erp" && v.Labels.GetValueOrDefault("app") != "grafana").Select(v => v.Id).Order(StringComparer.Ordinal);
        var found = PlanValidator.Validate([output], output).Model.Inventories.SelectMany(i => i.Vms).Select(v => v.Id).Order(StringComparer.Ordinal);
        Assert.Equal(world, found);
        Assert.NotEmpty(found);
    }

    /// <summary>
    /// An HTTP server on 127.0.0.1 that answers every Prometheus query with the API's error body, as
    /// Prometheus does for a query it cannot run. A plain TcpListener (HttpListener's endpoints are shared
    /// by the whole test process, where other tests run listeners of their own).
    /// </summary>
    private sealed class RefusingPrometheus : IDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource stop = new();
        private readonly Task serving;

        public RefusingPrometheus()
        {
            listener.Start();
            Url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/";
            serving = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        using var client = await listener.AcceptTcpClientAsync(stop.Token);
                        await using var stream = client.GetStream();
                        var head = await ReadHead(stream);
                        var target = head.Split(' ') is [_, var path, ..] ? path : "";
                        Queries.Enqueue(Uri.UnescapeDataString(target[(target.IndexOf("query=", StringComparison.Ordinal) + 6)..]).Replace('+', ' '));
                        var body = Encoding.UTF8.GetBytes("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:1: parse error: unknown function\"}");
                        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 422 Unprocessable Entity\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
                        await stream.WriteAsync(body);
                    }
                    catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
                    {
                    }
                }
            });
        }

        public string Url { get; }

        public System.Collections.Concurrent.ConcurrentQueue<string> Queries { get; } = new();

        private static async Task<string> ReadHead(NetworkStream stream)
        {
            var head = new StringBuilder();
            var buffer = new byte[4096];
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer);
                if (read == 0)
                {
                    break;
                }

                head.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return head.ToString();
        }

        public void Dispose()
        {
            stop.Cancel();
            listener.Stop();
            serving.Wait(TimeSpan.FromSeconds(5));
            stop.Dispose();
        }
    }
}
