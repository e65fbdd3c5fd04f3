using System.Text.Json.Nodes;
using Reconcile.Compiler;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Clusters;
using Reconcile.Reconciler.Execution;
using Reconcile.Simulator.Api;
using Reconcile.Simulator.World;

namespace Reconcile.Simulator.Tests;

/// <summary>What is not Reconcile's stays untouched: a VM of the receiver's name that someone else made, and trust handed between clusters.</summary>
public sealed class OwnershipTests
{
    private static CompiledCampaign Compile(string example)
    {
        var result = Compilation.Run(FrozenWorld.Load(example), new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), new TemplateSet(null, Repository.Root));
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return CompiledCampaign.Of(result, Assert.Single(result.Graphs).Plan);
    }

    [Fact]
    public async Task A_receiver_whose_name_is_taken_by_a_VM_that_is_not_ours_fails_the_step_and_leaves_that_VM_alone()
    {
        var campaign = Compile("fra-to-sgp");
        await using var sim = await RunningSimulator.Start("fra-to-sgp");
        sim.Host.World.Clock.Advance(campaign.Graph.Start - sim.Host.World.Clock.Now);
        // Someone else's VM, in the staging cluster, under the name the hop's receiver would get.
        var foreign = new JsonObject
        {
            ["apiVersion"] = "kubevirt.io/v1",
            ["kind"] = "VirtualMachine",
            ["metadata"] = new JsonObject { ["name"] = "reporting-0", ["namespace"] = "payments", ["labels"] = new JsonObject { ["team"] = "analytics" } },
            ["spec"] = new JsonObject { ["runStrategy"] = "Halted", ["template"] = new JsonObject { ["spec"] = new JsonObject { ["domain"] = new JsonObject { ["devices"] = new JsonObject() } } } },
        };
        var store = sim.Host.World.Clusters["fra-2"].Store;
        // The simulator prepares the VMs' namespaces on every cluster (their attachments live there).
        Assert.NotNull(store.Get(ResourceRegistry.Namespace, "", "payments"));
        store.Create(ResourceRegistry.VirtualMachine, "payments", foreign, "analytics-team");
        var before = store.Get(ResourceRegistry.VirtualMachine, "payments", "reporting-0")!["spec"]!.ToJsonString();
        var gateways = sim.Gateways();
        var executor = new CampaignExecutor(campaign, gateways, "fra-1", () => sim.Host.World.Clock.Now, backoff: Backoff.Fixed);
        const string Hop = "migrate-payments.reporting-0-via-fra-2";
        StepState? hop = null;
        var events = new List<string>();
        for (var pass = 0; pass < 2000 && hop?.Phase != StepPhase.Failed; pass++)
        {
            sim.Host.Engine.Tick();
            var result = await executor.PassAsync(CancellationToken.None);
            hop = result.Steps.Single(s => s.Id == Hop);
            events.AddRange(result.Events);
            sim.Host.World.Clock.Advance(result.Steps.Any(s => s.Phase == StepPhase.Running) ? TimeSpan.FromSeconds(30) : TimeSpan.FromMinutes(10));
        }

        Assert.True(hop!.Phase == StepPhase.Failed, string.Join("\n", events.Where(e => e.Contains("reporting-0", StringComparison.Ordinal))));
        Assert.Contains("VirtualMachine payments/reporting-0 already exists in cluster fra-2 and is not this plan's", hop.Message);
        var after = store.Get(ResourceRegistry.VirtualMachine, "payments", "reporting-0")!;
        Assert.Equal(before, after["spec"]!.ToJsonString());
        Assert.Equal("analytics", after["metadata"]!["labels"]!["team"]!.GetValue<string>());
        Assert.Null(after["metadata"]!["labels"]![Reconcile.Compiler.Facts.Conventions.ManagedByLabel]);
        Assert.DoesNotContain(store.List(ResourceRegistry.Migration, "payments").Items, v => v["metadata"]!["name"]!.GetValue<string>().Contains("reporting-0", StringComparison.Ordinal));
    }

    private static string Pem(string text) =>
        $"-----BEGIN CERTIFICATE-----\n{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text))}\n-----END CERTIFICATE-----\n";

    private static string Bundle(RunningSimulator sim, string cluster) =>
        sim.Host.World.Clusters[cluster].Store.Get(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-ca")!["data"]!["ca-bundle"]!.GetValue<string>();

    [Fact]
    public async Task Each_cluster_trusts_exactly_the_own_CAs_of_the_clusters_it_migrates_with_and_a_departed_peers_CA_is_removed()
    {
        var campaign = Compile("fra-to-sgp");
        await using var sim = await RunningSimulator.Start("fra-to-sgp");
        var world = sim.Host.World;
        // Something extra in Frankfurt-2's bundle (a CA it received, or one slipped in) must not travel on.
        var fra2 = world.Clusters["fra-2"].Store;
        var ca = fra2.Get(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-ca")!;
        ca["data"]!["ca-bundle"] = Bundle(sim, "fra-2") + Pem("a rogue CA");
        fra2.Update(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-ca", ca, "someone");
        // Frankfurt-1 trusts a data centre the topology no longer has, handed over by an earlier revision.
        var fra1 = world.Clusters["fra-1"].Store;
        ca = fra1.Get(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-ca")!;
        ca["data"]!["ca-bundle"] = Bundle(sim, "fra-1") + Pem("CA of old-dc");
        fra1.Update(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-ca", ca, "virt-operator");
        fra1.Create(ResourceRegistry.ConfigMap, "kubevirt", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "reconcile-peer-cas" },
            ["data"] = new JsonObject { ["old-dc"] = Pem("CA of old-dc") },
        }, "reconcile");

        var gateways = sim.Gateways();
        await new CampaignExecutor(campaign, gateways, "fra-1", () => world.Clock.Now).ApplyStaticAsync(CancellationToken.None);
        sim.Host.Engine.Tick(); // virt-operator merges kubevirt-external-ca

        var partners = campaign.Graph.Steps.Where(s => s.From is not null && s.To is not null && s.From.Cluster != s.To.Cluster)
            .SelectMany(s => new[] { (s.From!.Cluster, s.To!.Cluster), (s.To.Cluster, s.From.Cluster) }).ToLookup(p => p.Item1, p => p.Item2);
        foreach (var cluster in world.Clusters.Keys)
        {
            var bundle = Bundle(sim, cluster);
            foreach (var other in world.Clusters.Keys.Where(o => o != cluster))
            {
                Assert.Equal(partners[cluster].Contains(other), bundle.Contains(SimulatedWorld.CaCertificate(other), StringComparison.Ordinal));
            }

            Assert.Equal(cluster == "fra-2", bundle.Contains(Pem("a rogue CA"), StringComparison.Ordinal));
            Assert.DoesNotContain(Pem("CA of old-dc"), bundle);
        }

        var ledger = fra1.Get(ResourceRegistry.ConfigMap, "kubevirt", "reconcile-peer-cas")!["data"]!.AsObject();
        Assert.Equal(partners["fra-1"].Distinct().Order(StringComparer.Ordinal), ledger.Select(e => e.Key));
        Assert.Equal(SimulatedWorld.CaCertificate("fra-2"), ledger["fra-2"]!.GetValue<string>());
    }
}
