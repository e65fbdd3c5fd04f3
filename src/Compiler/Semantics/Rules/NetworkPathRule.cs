using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>
/// The path a cross-cluster move takes: a link on every hop (RC3001, S5), latency within
/// maxLiveLatency for live moves (RC3002, S2/S28), a measured link (RC3030), one MTU end to end (RC3010, S24), encryption (RC3013, S9), decentralized migration support
/// (RC3017), a sensible `via` (RC5005/RC5006, S28) and post-copy across regions (RC5004).
/// </summary>
public sealed class NetworkPathRule : IPlanRule
{
    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        if (scope.Topology is not { } topology)
        {
            return;
        }

        var reportedClusters = new HashSet<string>(StringComparer.Ordinal);
        var crossRegion = false;
        foreach (var move in scope.Plan.Moves)
        {
            var path = new[] { move.From, move.Via, move.To }.OfType<string>().ToList();
            if (path.Any(c => topology.FindCluster(c) is null) || move.IsInCluster && move.Via is null)
            {
                continue;
            }

            if (move.Via is { } via && (via == move.From || via == move.To))
            {
                diagnostics.Write(DiagnosticCatalog.InvalidVia.At(move.Source.At("via"), $"move '{move.Name}' stages via {via}, which is one of its own ends"));
                continue;
            }

            if (move.Via is { } hop && topology.FindCluster(hop)!.Region != topology.FindCluster(move.From)!.Region)
            {
                diagnostics.Write(DiagnosticCatalog.ViaOutsideSourceRegion.At(move.Source.At("via"),
                    $"move '{move.Name}' stages via {hop} in region {topology.FindCluster(hop)!.Region}, not in the source region {topology.FindCluster(move.From)!.Region}"));
            }

            var mode = scope.ModeOf(move);
            var hops = move.Hops.ToList();
            for (var i = 0; i < hops.Count; i++)
            {
                var (from, to) = hops[i];
                var source = topology.FindCluster(from)!;
                var target = topology.FindCluster(to)!;
                crossRegion |= source.Region != target.Region;
                var link = topology.FindLink(from, to);
                var field = move.Via is not null && i == 0 ? "via" : "to";
                if (link is null)
                {
                    if (topology.UnmeasuredLinks.FirstOrDefault(l => l.Carries(from, to)) is { } unmeasured)
                    {
                        diagnostics.Write(DiagnosticCatalog.MoveOverUnmeasuredLink.At(move.Source.At(field),
                            $"move '{move.Name}' crosses link {unmeasured.Id} from {from} to {to}, which declares no latency or bandwidth"));
                        continue;
                    }

                    diagnostics.Write(DiagnosticCatalog.NoLink.At(move.Source.At(field),
                        $"move '{move.Name}' needs a link from {from} to {to}, and the Topology has none"));
                    continue;
                }

                CheckLatency(scope, move, i, link, field, diagnostics);
                // A cold move's disks leave through a VirtualMachineExport on the source that the target's
                // DataVolumes import (a staged move's disks are replicated by the storage instead).
                var live = scope.LiveHops(move).Contains((from, to));
                if (!live && mode == MoveMode.Cold && source.KubeVirt.ExportAddress is null && reportedClusters.Add("export:" + source.Name))
                {
                    diagnostics.Write(DiagnosticCatalog.ExportAddressMissing.At(source.Source.At("kubevirt"),
                        $"cluster {source.Name} sends cold move '{move.Name}' but declares no kubevirt.exportAddress for the target to import disks from"));
                }

                if (!live)
                {
                    continue;
                }

                CheckEncryption(move, source, target, link, field, diagnostics);
                CheckMtu(move, source, target, link, field, diagnostics);
                foreach (var end in new[] { source, target })
                {
                    CheckEnd(move, end, reportedClusters, diagnostics);
                }

                // The source VMIM of a decentralized migration dials the target's synchronization controller.
                if (target.KubeVirt.SynchronizationAddress is null && reportedClusters.Add("sync:" + target.Name))
                {
                    diagnostics.Write(DiagnosticCatalog.SynchronizationAddressMissing.At(target.Source.At("kubevirt"),
                        $"cluster {target.Name} receives move '{move.Name}' but declares no kubevirt.synchronizationAddress for the source to connect to"));
                }
            }
        }

        if (crossRegion && scope.Plan.Strategy.AllowPostCopy)
        {
            diagnostics.Write(DiagnosticCatalog.PostCopyOverWan.At(scope.Plan.Strategy.Source.At("allowPostCopy"),
                "allowPostCopy is on and the plan moves VMs across regions; a link failure during post-copy can crash the VM"));
        }
    }

    private static void CheckLatency(PlanScope scope, Move move, int hop, Link link, string field, IDiagnosticWriter diagnostics)
    {
        // Staging (S28) is the cure: a hop that is not a live migration may be slow; a live one may not.
        var (from, to) = move.Hops.ElementAt(hop);
        var limit = scope.Plan.Checks.MaxLiveLatency;
        if (scope.LiveHops(move).Contains((from, to)) && link.Latency > limit)
        {
            diagnostics.Write(DiagnosticCatalog.LatencyTooHighForLive.At(move.Source.At(field),
                $"move '{move.Name}' live-migrates over link {link.Id} with {Model.Quantities.FormatDuration(link.Latency)} latency, above maxLiveLatency {Model.Quantities.FormatDuration(limit)}"));
        }
    }

    private static void CheckEncryption(Move move, Cluster source, Cluster target, Link link, string field, IDiagnosticWriter diagnostics)
    {
        if (!link.Encrypted && (!source.Migration.Tls || !target.Migration.Tls))
        {
            var plain = !source.Migration.Tls ? source.Name : target.Name;
            diagnostics.Write(DiagnosticCatalog.UnencryptedMigration.At(move.Source.At(field),
                $"move '{move.Name}' sends memory over link {link.Id}, which is not encrypted, and cluster {plain} has migration TLS off"));
        }
    }

    private static void CheckMtu(Move move, Cluster source, Cluster target, Link link, string field, IDiagnosticWriter diagnostics)
    {
        var mtus = new List<(string Where, int Mtu)> { (source.Name, source.Migration.Mtu), ($"link {link.Id}", link.Mtu ?? Math.Min(source.Migration.Mtu, target.Migration.Mtu)), (target.Name, target.Migration.Mtu) };
        if (mtus.Select(m => m.Mtu).Distinct().Count() > 1)
        {
            diagnostics.Write(DiagnosticCatalog.MtuMismatch.At(move.Source.At(field),
                $"MTU differs along the path of move '{move.Name}': {string.Join(", ", mtus.Select(m => $"{m.Where} {m.Mtu}"))}"));
        }
    }

    private static void CheckEnd(Move move, Cluster end, HashSet<string> reported, IDiagnosticWriter diagnostics)
    {
        // RC3020 covers a cluster whose release is missing or too old to render for.
        if (end.KubeVirt.Version is { } version && version >= KubeVirtInstall.OldestSupported &&
            !end.KubeVirt.SupportsDecentralizedMigration && reported.Add("kv:" + end.Name))
        {
            var need = version >= new Version(1, 10)
                ? $"it lists {KubeVirtInstall.DecentralizedLiveMigrationGate} in disabledFeatureGates"
                : $"v{version} needs the {KubeVirtInstall.DecentralizedLiveMigrationGate} feature gate in featureGates (on by default from v1.10)";
            diagnostics.Write(DiagnosticCatalog.DecentralizedUnsupported.At(KubeVirtReleaseRule.VersionLocation(end),
                $"move '{move.Name}' crosses clusters, but cluster {end.Name} (KubeVirt v{version}) cannot take part in a decentralized live migration: {need}"));
        }
    }
}
