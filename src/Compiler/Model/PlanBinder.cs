using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Loading;

namespace Reconcile.Compiler.Model;

/// <summary>Binds documents that passed the schema to the immutable plan model, applying the schema's defaults.</summary>
public static class PlanBinder
{
    public const string DefaultTimeZone = "UTC";

    public static PlanSet Bind(IEnumerable<PlanDocument> documents, IDiagnosticWriter diagnostics)
    {
        var topologies = ImmutableArray.CreateBuilder<Topology>();
        var inventories = ImmutableArray.CreateBuilder<Inventory>();
        var plans = ImmutableArray.CreateBuilder<MigrationPlan>();
        foreach (var document in documents)
        {
            if (document.Root is not JsonObject root)
            {
                continue;
            }

            var reader = new NodeReader(root, new Located(document.Map, ""), diagnostics);
            var name = reader.ObjectOrEmpty("metadata").Str("name");
            var spec = reader.ObjectOrEmpty("spec");
            switch (document.Kind)
            {
                case "Topology":
                    var links = spec.List("links", l => (Link: BindLink(l), Measured: l.Has("latency") && l.Has("bandwidth"), Missing: l.Has("latency") ? "bandwidth" : l.Has("bandwidth") ? "latency" : "latency or bandwidth"));
                    topologies.Add(new Topology(name, spec.List("clusters", BindCluster), [.. links.Where(l => l.Measured).Select(l => l.Link)], reader.At)
                    {
                        UnmeasuredLinks = [.. links.Where(l => !l.Measured).Select(l => l.Link)],
                    });
                    foreach (var (link, _, missing) in links.Where(l => !l.Measured))
                    {
                        reader.Report(DiagnosticCatalog.LinkUnmeasured.At(link.Source.At("between"),
                            $"link {link.Id} declares no {missing}: nothing can be predicted over it until it is measured"));
                    }

                    break;
                case "Inventory":
                    var cluster = spec.Str("cluster");
                    inventories.Add(new Inventory(name, cluster, spec.List("vms", vm => BindVm(vm, cluster)), reader.At));
                    break;
                case "MigrationPlan":
                    plans.Add(BindPlan(name, spec, reader.At));
                    break;
            }
        }

        return new PlanSet(topologies.ToImmutable(), inventories.ToImmutable(), plans.ToImmutable());
    }

    private static Cluster BindCluster(NodeReader c)
    {
        var kubevirt = c.ObjectOrEmpty("kubevirt");
        var migration = c.ObjectOrEmpty("migration");
        return new Cluster(
            c.Str("name"),
            c.Str("region"),
            c.OptStr("provider"),
            c.OptStr("context") ?? c.Str("name"),
            new KubeVirtInstall(ParseVersion(kubevirt.OptStr("version")), kubevirt.Strings("featureGates"), kubevirt.Strings("disabledFeatureGates"), kubevirt.OptStr("synchronizationAddress"), kubevirt.OptStr("exportAddress")),
            new MigrationNetwork(
                migration.OptStr("network"),
                migration.OptStr("cidr"),
                migration.OptStr("ports"),
                [.. migration.Strings("isolatedBy").Select(i => Enum.TryParse<NetworkIsolation>(i, out var isolation) ? isolation : (NetworkIsolation?)null).OfType<NetworkIsolation>().Distinct()],
                migration.Bool("tls", true),
                migration.Int("mtu", 1500),
                migration.OptBits("bandwidth") ?? 10_000_000_000,
                migration.Int("parallelMigrationsPerCluster", 5),
                migration.Int("parallelOutboundMigrationsPerNode", 2)),
            c.ObjectOrEmpty("kubelet").Str("cpuManagerPolicy", "none"),
            c.List("nodes", n => new Node(n.Str("name"), n.OptStr("cpuModel"), n.OptBytes("memory"), n.OptInt("cpu"), n.OptBytes("hugepages"), n.Map("labels"), n.At)),
            c.List("storageClasses", s => new StorageClass(
                s.Str("name"), s.Strings("accessModes"), s.Str("reclaimPolicy", "Delete"), s.Str("volumeBindingMode", "Immediate"), s.Strings("sharedWith"),
                s.List("replication", r => new StorageReplication(r.Str("to"), r.Str("volumeReplicationClass"), r.Duration("rpo", TimeSpan.FromMinutes(5)), r.At)), s.At)),
            c.Strings("networkAttachmentDefinitions"),
            c.ObjectOrEmpty("monitoring").Has("ruleLabels") ? c.ObjectOrEmpty("monitoring").Map("ruleLabels") : null,
            c.At);
    }

    private static Version? ParseVersion(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var core = text.TrimStart('v').Split('-')[0];
        return Version.TryParse(core.Contains('.') ? core : core + ".0", out var version) ? version : null;
    }

    private static Link BindLink(NodeReader l)
    {
        var between = l.Strings("between");
        return new Link(
            between.Length > 0 ? between[0] : "",
            between.Length > 1 ? between[1] : "",
            l.Bool("directed", false),
            l.Duration("latency", TimeSpan.Zero),
            l.OptBits("bandwidth") ?? 0,
            l.OptDuration("jitter"),
            l.OptNumber("lossPercent"),
            l.OptStr("kind"),
            l.Bool("encrypted", false),
            l.OptInt("mtu"),
            l.OptBits("streamBandwidth"),
            l.OptBytes("tcpWindow"),
            l.OptNumber("overhead") ?? 0,
            l.At);
    }

    private static Vm BindVm(NodeReader v, string cluster)
    {
        var cpu = v.ObjectOrEmpty("cpu");
        var guest = v.ObjectOrEmpty("guest");
        return new Vm(
            v.Str("name"),
            v.Str("namespace"),
            cluster,
            v.Str("node"),
            v.Map("labels"),
            v.Bytes("memory", 0),
            new VmCpu(cpu.OptInt("cores"), cpu.Str("model", VmCpu.HostModel), cpu.Bool("dedicated", false), cpu.OptStr("limit")),
            v.Bytes("dirtyRate", 0),
            new Guest(guest.OptStr("os"), guest.Bool("virtio", true), guest.Bool("agent", false), guest.OptDuration("shutdownTime"), guest.OptDuration("bootTime")),
            v.OptStr("evictionStrategy"),
            v.OptDuration("terminationGracePeriod"),
            v.OptBytes("hugepages"),
            v.List("volumes", d => new Volume(
                d.Str("name"), d.OptStr("claim"), d.Bytes("size", 0), d.OptStr("storageClass"), d.OptStr("accessMode"), d.OptStr("reclaimPolicy"),
                d.Bytes("writeRate", 0), d.At)),
            v.List("networks", n => new VmNetwork(n.Str("name"), n.OptStr("nad"), n.At)),
            v.Strings("hostDevices"),
            v.At);
    }

    private static MigrationPlan BindPlan(string name, NodeReader spec, Located at)
    {
        var windows = spec.ObjectOrEmpty("windows");
        var defaultZoneName = windows.Str("timeZone", DefaultTimeZone);
        var defaultZone = ResolveZone(windows, "timeZone", defaultZoneName);
        var strategy = spec.ObjectOrEmpty("strategy");
        var parallelism = strategy.ObjectOrEmpty("parallelism");
        var verify = strategy.ObjectOrEmpty("verify");
        var checks = spec.ObjectOrEmpty("checks");
        return new MigrationPlan(
            name,
            spec.Str("topology"),
            spec.Has("inventories") ? spec.Strings("inventories") : null,
            spec.OptTimestamp("notBefore"),
            spec.Duration("horizon", TimeSpan.FromDays(90), TimeSpan.FromDays(3660)),
            spec.Bool("suspend", false),
            spec.Bool("allowEmpty", false),
            spec.List("moves", m => new Move(
                m.Str("name"), m.Str("from"), m.Str("to"), m.OptStr("via"), BindSelector(m.ObjectOrEmpty("select")),
                m.OptStr("targetNamespace"), m.OptStr("targetStorageClass"), m.Map("nodeSelector"), m.Strings("after"),
                m.Has("mode") ? Enum.Parse<MoveMode>(m.Str("mode")) : null, m.At)),
            spec.List("priorities", p => new PriorityClass(p.Str("name"), p.Int("value", 0), p.Object("select") is { } s ? BindSelector(s) : null, p.At)),
            spec.List("groups", g => new ConcurrencyGroup(g.Str("name"), BindSelector(g.ObjectOrEmpty("select")), g.Int("maxConcurrent", 1), g.At)),
            new Windows(
                defaultZoneName,
                defaultZone,
                windows.List("allow", w =>
                {
                    var zoneName = w.Str("timeZone", defaultZoneName);
                    var zone = w.Has("timeZone") ? ResolveZone(w, "timeZone", zoneName) : defaultZone;
                    return new AllowWindow(w.Str("name"), w.Str("cron"), w.Duration("duration", TimeSpan.Zero, TimeSpan.FromDays(366)), zoneName, zone, w.Strings("clusters"), w.At);
                }),
                windows.List("deny", w =>
                {
                    var zoneName = w.Str("timeZone", defaultZoneName);
                    var zone = w.Has("timeZone") ? ResolveZone(w, "timeZone", zoneName) : defaultZone;
                    return new DenyWindow(w.Str("name"), w.OptTimestamp("start"), w.OptTimestamp("end"), w.OptStr("cron"), w.Has("duration") ? w.Duration("duration", TimeSpan.Zero, TimeSpan.FromDays(366)) : null,
                        zoneName, zone, w.Strings("clusters"), w.At);
                }),
                windows.At),
            new Strategy(
                Enum.Parse<MoveMode>(strategy.Str("mode", nameof(MoveMode.Live))),
                strategy.Duration("maxDowntime", TimeSpan.FromMilliseconds(300)),
                strategy.OptBits("bandwidthPerMigration"),
                strategy.Duration("completionTimeoutPerGiB", TimeSpan.FromSeconds(150)),
                strategy.Duration("progressTimeout", TimeSpan.FromSeconds(150)),
                strategy.Bool("allowAutoConverge", false),
                strategy.Bool("allowPostCopy", false),
                strategy.Bool("allowWorkloadDisruption", false),
                new Parallelism(parallelism.Int("perCluster", 5), parallelism.Int("perNode", 2), parallelism.Int("perLink", 4), parallelism.At),
                strategy.Int("canary", 1),
                new Verification(verify.Duration("timeout", TimeSpan.FromMinutes(10)), verify.Bool("guestAgent", false)),
                Enum.Parse<FailurePolicy>(strategy.Str("onFailure", nameof(FailurePolicy.Pause))),
                strategy.Int("maxFailures", 1),
                strategy.Int("retries", 0),
                strategy.Bool("snapshotBefore", false),
                strategy.Bool("replicateOutsideWindows", true),
                strategy.Duration("bootTime", TimeSpan.FromMinutes(1)),
                strategy.At),
            new Checks(
                checks.Duration("maxLiveLatency", TimeSpan.FromMilliseconds(50)),
                checks.Bool("requireReadWriteMany", true),
                checks.Bool("requireRetain", true),
                checks.Int("maxCpuGenerationGap", 1)),
            spec.Strings("suppress"),
            at);
    }

    private static Selector BindSelector(NodeReader s) =>
        new(s.Strings("namespaces"), s.Map("labels"), s.Strings("names"), s.Strings("nodes"), s.At);

    /// <summary>Resolves an IANA zone with the system's tz database; unknown names are reported (RC4003).</summary>
    private static TimeZoneInfo? ResolveZone(NodeReader owner, string field, string name)
    {
        if (TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone))
        {
            return zone;
        }

        owner.Report(DiagnosticCatalog.UnknownTimeZone.At(owner.At.At(field), $"unknown time zone '{name}'"));
        return null;
    }
}
