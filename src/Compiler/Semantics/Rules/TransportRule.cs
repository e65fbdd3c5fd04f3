using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>
/// A link that live migrations cross, whose round trip makes TCP's window, not the link, the limit of
/// KubeVirt's 8 memory connections, and that declares neither what one connection reaches
/// (streamBandwidth) nor its window (tcpWindow): the prediction then rests on Linux's default window
/// (RC3028), so say how to measure it.
/// </summary>
public sealed class TransportRule : IPlanRule
{
    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        if (scope.Topology is not { } topology)
        {
            return;
        }

        var links = scope.Plan.Moves.Where(m => scope.VmsOf(m).Any()).SelectMany(scope.LiveHops).Where(h => h.From != h.To)
            .Select(h => topology.FindLink(h.From, h.To)).OfType<Link>().DistinctBy(l => l.Id).OrderBy(l => l.Id, StringComparer.Ordinal);
        foreach (var link in links)
        {
            // A live hop above maxLiveLatency is RC3002's error already.
            if (link.StreamBitsPerSecond is not null || link.TcpWindowBytes is not null || link.Latency <= TimeSpan.Zero || link.Latency > scope.Plan.Checks.MaxLiveLatency)
            {
                continue;
            }

            var path = TransportModel.Path(topology, null, link.A, link.B);
            var memory = TransportModel.MultifdConnections * path.PerConnection;
            if (memory < path.Link)
            {
                diagnostics.Write(DiagnosticCatalog.StreamBandwidthUnmeasured.At(link.Source.At("latency"),
                    $"link {link.Id} has a {Quantities.FormatDuration(link.Latency)} round trip: with the default 4 MiB TCP window one connection moves {Quantities.FormatBytes((long)path.PerConnection)}/s and KubeVirt's 8 memory connections {Quantities.FormatBytes((long)memory)}/s, less than the link's {Quantities.FormatBytes((long)path.Link)}/s; each disk gets one connection"));
            }
        }
    }
}
