using System.Text.Json.Nodes;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Semantics;
using Reconcile.Simulator.Api;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// The simulator's transport (its own: window per round trip, a connection per disk, max-min sharing)
/// against the planner's prediction for a live border crossing (issue 12): within 20%. The simulator
/// never calls the planner; the test compares the two.
/// </summary>
public sealed class TransportAgreementTests
{
    [Fact]
    public void A_live_migration_over_170ms_takes_what_one_connection_per_disk_allows_and_the_planner_agrees()
    {
        var w = new FrozenWorld("fra-to-sgp", FrozenWorld.WithoutIsolation);
        w.Namespace("sgp-1", "payments");
        w.TrustEachOther("fra-1", "sgp-1");
        w.Receiver("sgp-1", "payments", "app-0");
        w.Migrate("sgp-1", "payments", "in", "app-0", new JsonObject { ["receive"] = new JsonObject { ["migrationID"] = "id-1" } });
        w.Migrate("fra-1", "payments", "out", "app-0", new JsonObject { ["sendTo"] = new JsonObject { ["migrationID"] = "id-1", ["connectURL"] = "virt-sync.sgp-1.example.net:9185" } });
        Assert.Equal("Succeeded", w.RunUntilFinal("fra-1", "payments", "out", TimeSpan.FromHours(3)));
        var state = w.Store("fra-1").Get(ResourceRegistry.Migration, "payments", "out")!["status"]!["migrationState"]!;
        var simulated = (DateTime.Parse(state["endTimestamp"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime()
            - DateTime.Parse(state["startTimestamp"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime()).TotalSeconds;

        // The 40 GiB disk alone on one connection: 42 949 672 960 B / (4 MiB / 0.170 s) = 1 741 s; then 8 GiB of memory on 8.
        Assert.InRange(simulated, 1741, 2400);

        var validation = FrozenWorld.Load("fra-to-sgp");
        var scope = PlanScope.Create(validation.Model.Plans[0], validation.Model);
        var app0 = scope.Vms.Single(v => v.Id == "payments/app-0");
        var link = scope.Topology!.FindLink("fra-1", "sgp-1")!.BandwidthBitsPerSecond / 8.0;
        var predicted = MigrationEstimator.Migration(scope, app0, "fra-1", "sgp-1", link, MigrationEstimator.DiskBytes(app0, "fra-1", "sgp-1")).Seconds;
        Assert.InRange(simulated / predicted, 0.8, 1.2);
    }
}
