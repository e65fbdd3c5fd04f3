using System.Globalization;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Model;
using Reconcile.Compiler.Facts;
using Reconcile.Simulator.Api;
using Reconcile.Simulator.World;

namespace Reconcile.Simulator.KubeVirt;

/// <summary>
/// KubeVirt's migration controller, simulated: VirtualMachineInstanceMigrations walk the real phase
/// sequence (kubevirt-facts §1.3), are admitted within parallelMigrationsPerCluster and
/// parallelOutboundMigrationsPerNode, and copy memory in pre-copy rounds in simulated time with the
/// link's bandwidth shared among the migrations on it. The dirty rate has per-VM noise; auto-converge
/// and post-copy follow the matching MigrationPolicy; completionTimeoutPerGiB and progressTimeout fail
/// a migration; deleting a VMIM aborts it. On success the VMI moves node, or cluster for a
/// decentralized pair (receive + sendTo with one migrationID).
/// </summary>
public sealed class MigrationEngine
{
    /// <summary>Simulated seconds each phase before Running takes: target pod start, scheduling, domain preparation.</summary>
    public static readonly IReadOnlyDictionary<string, double> SetupSeconds = new Dictionary<string, double>
    {
        ["Pending"] = 0, ["Scheduling"] = 4, ["Scheduled"] = 2, ["PreparingTarget"] = 2, ["TargetReady"] = 1,
    };

    private static readonly string[] Setup = ["Pending", "Scheduling", "Scheduled", "PreparingTarget", "TargetReady", "Running"];

    private readonly SimulatedWorld world;
    private readonly Faults faults;
    private readonly int seed;
    private readonly WorkloadControllers controllers;
    private readonly Storage.StorageReplication replication;
    private readonly Lock gate = new();
    private readonly Dictionary<string, Migration> migrations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Succeeded, long Failed)> outcomes = new(StringComparer.Ordinal);
    private DateTime last;

    public MigrationEngine(SimulatedWorld world, Faults faults, int seed)
    {
        this.world = world;
        this.faults = faults;
        this.seed = seed;
        controllers = new WorkloadControllers(world);
        replication = new Storage.StorageReplication(world);
        last = world.Clock.Now;
        foreach (var cluster in world.Clusters.Values)
        {
            cluster.Store.Admit = (kind, obj) =>
                kind == ResourceRegistry.Migration ? AdmitMigration(cluster, obj) :
                kind == ResourceRegistry.MigrationPolicy ? AdmitPolicy(cluster, obj) : null;
        }

        faults.Immediate += fault =>
        {
            if (fault["type"]?.GetValue<string>() == "lose-node")
            {
                LoseNode(fault["cluster"]?.GetValue<string>() ?? "", fault["node"]?.GetValue<string>() ?? "");
            }
        };
    }

    /// <summary>One migration in flight, keyed by its source VMIM.</summary>
    private sealed class Migration
    {
        public required string Key { get; init; }
        public required string Cluster { get; init; }
        public required string Namespace { get; init; }
        public required string Vmim { get; init; }
        public required string Vmi { get; init; }
        public string? MigrationId { get; init; }
        public string? TargetCluster { get; set; }
        public string? TargetNamespace { get; set; }
        public string? TargetVmim { get; set; }
        public string? TargetVmi { get; set; }
        public Dictionary<string, string> NodeSelector { get; init; } = [];
        public string Phase { get; set; } = "Pending";
        public DateTime PhaseSince { get; set; }
        public DateTime Created { get; init; }
        public string SourceNode { get; set; } = "";
        public string? TargetNode { get; set; }
        public string? Link { get; set; }
        public required Random Noise { get; init; }
        public double Memory { get; set; }
        public double Disk { get; set; }

        /// <summary>What is left of each disk's mirror; memory rounds start once all are done.</summary>
        public List<double> DisksLeft { get; set; } = [];

        /// <summary>The guest's write rate to each disk in <see cref="DisksLeft"/>: the mirror sends those writes too.</summary>
        public List<double> DiskWrites { get; set; } = [];
        public double DirtyRate { get; set; }
        public double Pending { get; set; }
        public double RoundSize { get; set; }
        public double Dirtied { get; set; }
        public double Processed { get; set; }
        public double Throttle { get; set; }
        public int Round { get; set; }
        public int HighDirtySyncs { get; set; }
        public string Mode { get; set; } = "PreCopy";
        public double CurrentDirty { get; set; }
        public double Rate { get; set; }
        public DateTime RunningSince { get; set; }
        /// <summary>The data remaining at the last sample (KubeVirt's progressWatermark).</summary>
        public double Watermark { get; set; }

        /// <summary>A VMI with a CPU limit migrates its memory over one connection (configureParallelMigrationThreads).</summary>
        public bool CpuLimited { get; init; }
        public DateTime LastProgress { get; set; }
        public double DowntimeMs { get; set; }
        public Config Config { get; set; } = Config.Default;
        public bool Decentralized => MigrationId is not null;
    }

    /// <summary>The effective configuration: the KubeVirt CR's migrations block, overridden by the matching MigrationPolicy.</summary>
    private sealed record Config(double BandwidthCap, double CompletionTimeoutPerGiB, double ProgressTimeout, bool AutoConverge, bool PostCopy, double MaxDowntimeSeconds, string? Policy)
    {
        public static readonly Config Default = new(double.MaxValue, 150, 150, false, false, QemuDefaults.MaxDowntime.TotalSeconds, null);
    }

    public double Remaining(string key) => migrations.TryGetValue(key, out var m) ? m.Pending + m.Dirtied : 0;

    /// <summary>The webhook: refuses what KubeVirt's VMIM create admitter refuses.</summary>
    private ApiError? AdmitMigration(SimulatedCluster cluster, JsonObject vmim)
    {
        var spec = vmim["spec"] as JsonObject;
        var name = vmim["metadata"]?["name"]?.GetValue<string>() ?? "";
        var ns = vmim["metadata"]?["namespace"]?.GetValue<string>() ?? "";
        var release = KubeVirtRelease.Of(cluster.Model.KubeVirt);
        if (spec?["priority"] is not null)
        {
            // The field exists from v1.7 (strict field validation refuses it before); only virt-controller may set it.
            return ApiError.Invalid(ResourceRegistry.Migration, name, release.HasMigrationPriority
                ? "Migration priority queue, only virt-controller is allowed to set priority field"
                : $"strict decoding error: unknown field \"spec.priority\" (KubeVirt v{release.Version})");
        }

        var vmi = spec?["vmiName"]?.GetValue<string>();
        if (string.IsNullOrEmpty(vmi))
        {
            return ApiError.Invalid(ResourceRegistry.Migration, name, "spec.vmiName: vmiName is missing");
        }

        if ((spec!["sendTo"] is not null || spec["receive"] is not null) && !release.Decentralized)
        {
            return ApiError.Invalid(ResourceRegistry.Migration, name, "sendTo and receive need the DecentralizedLiveMigration feature gate");
        }

        // Every VMIM, the receiving one included, names a VMI that must exist: the receiver VM's
        // WaitAsReceiver VMI has to be there before its VMIM (migration-create-admitter.go).
        var live = cluster.Store.Get(ResourceRegistry.VirtualMachineInstance, ns, vmi);
        if (live is null)
        {
            return ApiError.Invalid(ResourceRegistry.Migration, name, $"the VMI \"{ns}/{vmi}\" does not exist");
        }

        if (live["status"]?["phase"]?.GetValue<string>() is "Succeeded" or "Failed")
        {
            return ApiError.Invalid(ResourceRegistry.Migration, name, $"cannot migrate VMI \"{vmi}\" in a final phase");
        }

        var (others, _) = cluster.Store.List(ResourceRegistry.Migration, ns);
        if (others.Any(o => o["spec"]?["vmiName"]?.GetValue<string>() == vmi && o["status"]?["phase"]?.GetValue<string>() is not ("Succeeded" or "Failed")))
        {
            return ApiError.Invalid(ResourceRegistry.Migration, name, $"in-flight migration detected. Active migration job is currently in progress for VMI {vmi}");
        }

        return null;
    }

    /// <summary>
    /// MigrationPolicy: maxDowntimeMs exists from v1.9.0 and its admitter refuses it unless
    /// MigrationStallDetection is on (migrationpolicy-admitter.go).
    /// </summary>
    private static ApiError? AdmitPolicy(SimulatedCluster cluster, JsonObject policy)
    {
        var release = KubeVirtRelease.Of(cluster.Model.KubeVirt);
        var name = policy["metadata"]?["name"]?.GetValue<string>() ?? "";
        if (policy["spec"]?["maxDowntimeMs"] is null)
        {
            return null;
        }

        return !release.HasPolicyMaxDowntime
            ? ApiError.Invalid(ResourceRegistry.MigrationPolicy, name, $"strict decoding error: unknown field \"spec.maxDowntimeMs\" (KubeVirt v{release.Version})")
            : !release.StallDetection
                ? ApiError.Invalid(ResourceRegistry.MigrationPolicy, name, "spec.maxDowntimeMs: maxDowntimeMs cannot be modified without enabling the MigrationStallDetection feature gate")
                : null;
    }

    /// <summary>Advances every migration to the simulated now. Called on a timer by the host, or directly by tests.</summary>
    public void Tick()
    {
        lock (gate)
        {
            var now = world.Clock.Now;
            Discover(now);
            var elapsed = (now - last).TotalSeconds;
            last = now;
            // Sub-steps of at most one simulated second keep the rounds faithful at any speed.
            var steps = Math.Max(1, (int)Math.Ceiling(elapsed));
            var dt = elapsed / steps;
            for (var i = 0; i < steps; i++)
            {
                var at = now.AddSeconds(-elapsed + dt * (i + 1));
                Admit(at);
                Advance(at, dt);
            }

            controllers.Tick(now);
            replication.Tick(now);
        }
    }

    /// <summary>Finds new VMIMs, pairs decentralized halves, and aborts migrations whose VMIM was deleted.</summary>
    private void Discover(DateTime now)
    {
        var receivers = new Dictionary<string, (SimulatedCluster Cluster, JsonObject Vmim)>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cluster in world.Clusters.Values)
        {
            foreach (var vmim in cluster.Store.List(ResourceRegistry.Migration, null).Items)
            {
                var ns = vmim["metadata"]!["namespace"]!.GetValue<string>();
                var name = vmim["metadata"]!["name"]!.GetValue<string>();
                var key = $"{cluster.Name}/{ns}/{name}";
                seen.Add(key);
                var phase = vmim["status"]?["phase"]?.GetValue<string>();
                var spec = vmim["spec"]!;
                if (spec["receive"]?["migrationID"]?.GetValue<string>() is { } receiveId)
                {
                    if (phase is null)
                    {
                        SetPhase(cluster, ns, name, "WaitingForSync", now, null);
                    }

                    if (phase is null or "WaitingForSync")
                    {
                        receivers[receiveId] = (cluster, vmim);
                    }

                    continue;
                }

                if (migrations.ContainsKey(key) || phase is "Succeeded" or "Failed")
                {
                    continue;
                }

                var sendId = spec["sendTo"]?["migrationID"]?.GetValue<string>();
                if (sendId is not null && phase is null)
                {
                    SetPhase(cluster, ns, name, "Synchronizing", now, null);
                }

                var vmiName = spec["vmiName"]!.GetValue<string>();
                var vmi = cluster.Store.Get(ResourceRegistry.VirtualMachineInstance, ns, vmiName);
                var profile = world.VmProfile(ns, vmiName);
                var selector = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (k, v) in spec["addedNodeSelector"]?.AsObject() ?? [])
                {
                    selector[k] = v!.GetValue<string>();
                }

                migrations[key] = new Migration
                {
                    Key = key,
                    Cluster = cluster.Name,
                    Namespace = ns,
                    Vmim = name,
                    Vmi = vmiName,
                    MigrationId = sendId,
                    NodeSelector = selector,
                    Phase = sendId is null ? "Pending" : "Synchronizing",
                    PhaseSince = now,
                    Created = now,
                    SourceNode = vmi?["status"]?["nodeName"]?.GetValue<string>() ?? "",
                    Noise = new Random(HashCode(key) ^ seed),
                    Memory = profile?.MemoryBytes ?? ParseQuantity(vmi?["spec"]?["domain"]?["memory"]?["guest"]) ?? 1L << 30,
                    DirtyRate = profile?.DirtyBytesPerSecond ?? 0,
                    CpuLimited = vmi?["spec"]?["domain"]?["resources"]?["limits"]?["cpu"]?.ToString() is { } limit && limit.Any(c => c is >= '1' and <= '9'),
                };
                if (sendId is null)
                {
                    SetPhase(cluster, ns, name, "Pending", now, null);
                }
            }
        }

        // Pair each waiting sender with its receiver: both sides then follow one state machine.
        foreach (var migration in migrations.Values.Where(m => m.Decentralized && m.Phase == "Synchronizing" && receivers.ContainsKey(m.MigrationId!)).ToList())
        {
            var (target, receiver) = receivers[migration.MigrationId!];
            migration.TargetCluster = target.Name;
            migration.TargetNamespace = receiver["metadata"]!["namespace"]!.GetValue<string>();
            migration.TargetVmim = receiver["metadata"]!["name"]!.GetValue<string>();
            migration.TargetVmi = receiver["spec"]!["vmiName"]!.GetValue<string>();
            migration.Link = world.Topology.FindLink(migration.Cluster, target.Name)?.Id;
            var profile = world.VmProfile(migration.Namespace, migration.Vmi);
            // Every DataVolume and PVC volume is mirrored into the receiver (decentralized.go: "Mark all DV/PVC volumes as migrateable").
            migration.Disk = profile is null ? 0 : profile.Volumes.Sum(v => (double)v.SizeBytes);
            migration.DisksLeft = profile is null ? [] : [.. profile.Volumes.Where(v => v.SizeBytes > 0).Select(v => (double)v.SizeBytes)];
            migration.DiskWrites = profile is null ? [] : [.. profile.Volumes.Where(v => v.SizeBytes > 0).Select(v => (double)v.WriteBytesPerSecond)];
            if (!Trusts(world.Clusters[migration.Cluster], target) || !Trusts(target, world.Clusters[migration.Cluster]))
            {
                // Both sides verify each other's certificates against kubevirt-ca (kubevirt-facts §6).
                Fail(migration, now, $"TLS handshake between {migration.Cluster} and {target.Name} failed: certificate signed by unknown authority " +
                                      "(exchange the clusters' kubevirt-ca bundles through ConfigMap kubevirt-external-ca)");
                continue;
            }

            var sourceVmi = world.Clusters[migration.Cluster].Store.Get(ResourceRegistry.VirtualMachineInstance, migration.Namespace, migration.Vmi);
            var receiverVmi = target.Store.Get(ResourceRegistry.VirtualMachineInstance, migration.TargetNamespace, migration.TargetVmi);
            if (DomainCompatibility.Mismatch(sourceVmi?["spec"]?["domain"], receiverVmi?["spec"]?["domain"]) is { } mismatch)
            {
                Fail(migration, now, $"Live migration failed: the receiver's domain does not match the migrating one: {mismatch}");
                continue;
            }

            if (Network.MigrationFirewall.Refusal(world.Clusters[migration.Cluster], target, Network.MigrationFirewall.ProxyPort(migration.Key)) is { } blocked)
            {
                Fail(migration, now, $"Live migration failed: {blocked}");
                continue;
            }

            Transition(migration, "Pending", now);
        }

        foreach (var gone in migrations.Values.Where(m => !seen.Contains(m.Key) || m.TargetVmim is not null && !seen.Contains($"{m.TargetCluster}/{m.TargetNamespace}/{m.TargetVmim}")).ToList())
        {
            // Deleting either VMIM cancels the migration; KubeVirt aborts and the source keeps running.
            Fail(gone, now, "Migration aborted: the VirtualMachineInstanceMigration was deleted", aborted: true);
        }
    }

    /// <summary>Whether <paramref name="cluster"/>'s kubevirt-ca holds <paramref name="peer"/>'s CA.</summary>
    private static bool Trusts(SimulatedCluster cluster, SimulatedCluster peer) =>
        cluster.Store.Get(ResourceRegistry.ConfigMap, "kubevirt", "kubevirt-ca")?["data"]?["ca-bundle"]?.GetValue<string>()?.Contains(SimulatedWorld.CaCertificate(peer.Name), StringComparison.Ordinal) == true;

    /// <summary>KubeVirt's queue: Pending migrations start while the cluster and the source node have room.</summary>
    private void Admit(DateTime now)
    {
        foreach (var group in migrations.Values.Where(m => m.Phase == "Pending").GroupBy(m => m.Cluster))
        {
            var cluster = world.Clusters[group.Key];
            var limits = cluster.Store.Get(ResourceRegistry.KubeVirt, "kubevirt", "kubevirt")?["spec"]?["configuration"]?["migrations"];
            var perCluster = JsonValues.Integer(limits?["parallelMigrationsPerCluster"]) ?? 5;
            var perNode = JsonValues.Integer(limits?["parallelOutboundMigrationsPerNode"]) ?? 2;
            foreach (var migration in group.OrderBy(m => m.Created).ThenBy(m => m.Key, StringComparer.Ordinal))
            {
                var active = migrations.Values.Where(m => m.Cluster == migration.Cluster && m.Phase is not ("Pending" or "Synchronizing")).ToList();
                if (active.Count < perCluster && active.Count(m => m.SourceNode == migration.SourceNode) < perNode)
                {
                    // A migration inside the cluster crosses its own migration network between two virt-handlers.
                    if (!migration.Decentralized && Network.MigrationFirewall.Refusal(cluster, cluster, Network.MigrationFirewall.ProxyPort(migration.Key)) is { } blocked)
                    {
                        Fail(migration, now, $"Live migration failed: {blocked}");
                        continue;
                    }

                    migration.Config = ConfigFor(cluster, migration);
                    migration.TargetNode = PickTarget(migration);
                    if (migration.TargetNode is null)
                    {
                        Fail(migration, now, "no schedulable node for the migration target");
                        continue;
                    }

                    if (HostCpuMismatch(migration) is { } mismatch)
                    {
                        Fail(migration, now, mismatch);
                        continue;
                    }

                    Transition(migration, "Scheduling", now);
                }
            }
        }
    }

    /// <summary>The VMI the target pod is made for: the receiver's in the target cluster, else the migrating one.</summary>
    private JsonObject? TargetVmi(Migration migration) => migration.TargetCluster is { } target
        ? world.Clusters[target].Store.Get(ResourceRegistry.VirtualMachineInstance, migration.TargetNamespace!, migration.TargetVmi!)
        : world.Clusters[migration.Cluster].Store.Get(ResourceRegistry.VirtualMachineInstance, migration.Namespace, migration.Vmi);

    /// <summary>
    /// A host-passthrough guest sees the source host's exact CPU; libvirt refuses to resume it on a host
    /// whose CPU differs (KubeVirt adds no node selector for it, nodeselectorrenderer.go), so the migration fails.
    /// </summary>
    private string? HostCpuMismatch(Migration migration)
    {
        var source = world.Clusters[migration.Cluster].Store.Get(ResourceRegistry.VirtualMachineInstance, migration.Namespace, migration.Vmi);
        if (source?["spec"]?["domain"]?["cpu"]?["model"]?.GetValue<string>() != "host-passthrough")
        {
            return null;
        }

        var from = world.Clusters[migration.Cluster].Model.FindNode(migration.SourceNode)?.CpuModel;
        var to = world.Clusters[migration.TargetCluster ?? migration.Cluster].Model.FindNode(migration.TargetNode!)?.CpuModel;
        return from is null || to is null || string.Equals(from, to, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"Live migration failed: operation failed: guest CPU doesn't match specification: the host-passthrough guest left a {from} host and node {migration.TargetNode} has a {to}";
    }

    private string? PickTarget(Migration migration)
    {
        var cluster = world.Clusters[migration.TargetCluster ?? migration.Cluster];
        // The target pod carries the VMI's own nodeSelector (the receiver's, across clusters) and addedNodeSelector.
        var vmiSelector = TargetVmi(migration)?["spec"]?["nodeSelector"]?.AsObject().ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "", StringComparer.Ordinal) ?? [];
        var nodes = cluster.Store.List(ResourceRegistry.Node, null).Items
            .Where(n => n["status"]?["conditions"]?.AsArray().Any(c => c!["type"]!.GetValue<string>() == "Ready" && c["status"]!.GetValue<string>() == "True") == true)
            .Where(n => migration.TargetCluster is not null || n["metadata"]!["name"]!.GetValue<string>() != migration.SourceNode)
            .Where(n => migration.NodeSelector.Concat(vmiSelector).All(s => n["metadata"]?["labels"]?[s.Key]?.GetValue<string>() == s.Value))
            .Select(n => n["metadata"]!["name"]!.GetValue<string>())
            .ToList();
        var load = cluster.Store.List(ResourceRegistry.VirtualMachineInstance, null).Items
            .GroupBy(v => v["status"]?["nodeName"]?.GetValue<string>() ?? "").ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return nodes.OrderBy(n => load.GetValueOrDefault(n)).ThenBy(n => n, StringComparer.Ordinal).FirstOrDefault();
    }

    private Config ConfigFor(SimulatedCluster cluster, Migration migration)
    {
        var migrationsConfig = cluster.Store.Get(ResourceRegistry.KubeVirt, "kubevirt", "kubevirt")?["spec"]?["configuration"]?["migrations"];
        var config = Config.Default with
        {
            BandwidthCap = ParseQuantity(migrationsConfig?["bandwidthPerMigration"]) is { } cap && cap > 0 ? cap : double.MaxValue,
            CompletionTimeoutPerGiB = JsonValues.Number(migrationsConfig?["completionTimeoutPerGiB"]) ?? 150,
            ProgressTimeout = JsonValues.Number(migrationsConfig?["progressTimeout"]) ?? 150,
            AutoConverge = migrationsConfig?["allowAutoConverge"]?.GetValue<bool>() ?? false,
            PostCopy = migrationsConfig?["allowPostCopy"]?.GetValue<bool>() ?? false,
        };
        var vmi = cluster.Store.Get(ResourceRegistry.VirtualMachineInstance, migration.Namespace, migration.Vmi);
        var labels = vmi?["metadata"]?["labels"]?.AsObject();
        foreach (var policy in cluster.Store.List(ResourceRegistry.MigrationPolicy, null).Items)
        {
            var wanted = policy["spec"]?["selectors"]?["virtualMachineInstanceSelector"]?.AsObject();
            if (wanted is null || !wanted.All(w => labels?[w.Key]?.GetValue<string>() == w.Value?.GetValue<string>()))
            {
                continue;
            }

            var spec = policy["spec"]!;
            return config with
            {
                BandwidthCap = ParseQuantity(spec["bandwidthPerMigration"]) is { } policyCap && policyCap > 0 ? policyCap : config.BandwidthCap,
                CompletionTimeoutPerGiB = JsonValues.Number(spec["completionTimeoutPerGiB"]) ?? config.CompletionTimeoutPerGiB,
                AutoConverge = spec["allowAutoConverge"]?.GetValue<bool>() ?? config.AutoConverge,
                PostCopy = spec["allowPostCopy"]?.GetValue<bool>() ?? config.PostCopy,
                MaxDowntimeSeconds = JsonValues.Number(spec["maxDowntimeMs"]) is { } ms ? ms / 1000 : config.MaxDowntimeSeconds,
                Policy = policy["metadata"]!["name"]!.GetValue<string>(),
            };
        }

        return config;
    }

    private void Advance(DateTime now, double dt)
    {
        foreach (var migration in migrations.Values.ToList())
        {
            if (migration.Phase is "Pending" or "Synchronizing")
            {
                continue;
            }

            if (migration.Phase != "Running")
            {
                if ((now - migration.PhaseSince).TotalSeconds >= SetupSeconds[migration.Phase])
                {
                    var next = Setup[Array.IndexOf(Setup, migration.Phase) + 1];
                    if (next == "Running")
                    {
                        migration.RunningSince = now;
                        migration.LastProgress = now;
                        migration.Pending = migration.Memory;
                        migration.RoundSize = migration.Memory;
                    }

                    Transition(migration, next, now);
                }

                continue;
            }

            if (faults.TakeMigrationFailure(migration.Cluster, migration.Namespace, migration.Vmi))
            {
                Fail(migration, now, "injected fault: the migration failed");
                continue;
            }

            Transfer(migration, now, dt);
        }
    }

    /// <summary>
    /// One sub-step of the copy: QEMU's round-by-round rules (QemuDefaults), written here apart from the compiler's model, in
    /// continuous time. A round that ends inside the sub-step ends at its exact time, and the next
    /// round uses the rest, so short final rounds are not charged a whole step of dirtying.
    /// </summary>
    private void Transfer(Migration m, DateTime now, double dt)
    {
        var bandwidth = Bandwidth(m, now);
        m.Rate = bandwidth;
        var noise = 1 + (m.Noise.NextDouble() - 0.5) * 0.2;  // ±10% around the Inventory's dirty rate
        var left = MirrorDisks(m, bandwidth, dt);
        bandwidth = Bandwidth(m, now);
        while (left > 1e-9)
        {
            m.CurrentDirty = m.Mode == "PostCopy" ? 0 : m.DirtyRate * (1 - m.Throttle) * noise;
            var step = bandwidth > 0 ? Math.Min(left, m.Pending / bandwidth) : left;
            var sent = Math.Min(m.Pending, bandwidth * step);
            m.Pending -= sent;
            m.Processed += sent;
            m.Dirtied = Math.Min(m.Memory, m.Dirtied + m.CurrentDirty * step);
            left -= step;
            if (m.Pending > 1e-6 || bandwidth <= 0)
            {
                break;
            }

            // End of a round: stop and copy if the rest fits the downtime target, else start the next round.
            var threshold = bandwidth * m.Config.MaxDowntimeSeconds;
            if (m.Mode == "PostCopy" || m.Dirtied <= threshold)
            {
                m.DowntimeMs = m.Mode == "PostCopy" ? 1 : m.Dirtied / bandwidth * 1000;
                m.Processed += m.Mode == "PostCopy" ? 0 : m.Dirtied;
                Succeed(m, now);
                return;
            }

            if (m.Config.PostCopy)
            {
                // Post-copy: the guest resumes on the target and pulls each page still dirty once.
                m.Mode = "PostCopy";
            }
            else if (m.Config.AutoConverge && m.Dirtied > QemuDefaults.ThrottleTrigger * m.RoundSize && ++m.HighDirtySyncs >= 2)
            {
                m.Throttle = m.Throttle == 0 ? QemuDefaults.ThrottleInitial : Math.Min(QemuDefaults.ThrottleMax, m.Throttle + QemuDefaults.ThrottleIncrement);
                m.HighDirtySyncs = 0;
            }

            m.Round++;
            m.Pending = m.Dirtied;
            m.RoundSize = m.Pending;
            m.Dirtied = 0;
        }

        // KubeVirt's progress: the data remaining (pages left in this round, plus what the mirrors still
        // have to send) below the previous sample's (processInflightMigration, live-migration-source.go).
        var remaining = m.Pending + m.DisksLeft.Sum();
        if (m.Watermark == 0 || remaining < m.Watermark)
        {
            m.LastProgress = now;
        }

        m.Watermark = remaining;

        var running = (now - m.RunningSince).TotalSeconds;
        // KubeVirt sizes the budget in whole decimal GB, rounded up (getVMIMigrationDataSize: ScaledValue(resource.Giga)).
        var gb = Math.Ceiling((m.Memory + m.Disk) / 1e9);
        // Once in post-copy the guest runs on the target: KubeVirt can no longer abort, only finish.
        if (m.Mode != "PostCopy" && running > m.Config.CompletionTimeoutPerGiB * Math.Max(1, gb))
        {
            if (m.Config.PostCopy)
            {
                m.Mode = "PostCopy";
            }
            else
            {
                Fail(m, now, $"Live migration is not completed after {m.Config.CompletionTimeoutPerGiB * Math.Max(1, gb):F0} seconds and has been aborted");
                return;
            }
        }

        if ((now - m.LastProgress).TotalSeconds > m.Config.ProgressTimeout)
        {
            Fail(m, now, $"Live migration stuck for {m.Config.ProgressTimeout:F0} sec and has been aborted");
        }
    }

    /// <summary>In a cluster: the migration network capped per migration. Across clusters: the link shared equally among its running migrations, capped per migration.</summary>
    /// <summary>
    /// libvirt's drive-mirror: each disk on its own connection, side by side, sharing what the migration
    /// gets; memory waits until every mirror is done. Returns the part of <paramref name="dt"/> left for memory.
    /// </summary>
    private double MirrorDisks(Migration m, double bandwidth, double dt)
    {
        var connection = LinkOf(m) is { } link ? Network.LinkTransport.ConnectionBytesPerSecond(link) : double.PositiveInfinity;
        var left = dt;
        while (m.DisksLeft.Count > 0 && left > 1e-9 && bandwidth > 0)
        {
            var each = Math.Min(connection, bandwidth / m.DisksLeft.Count);
            // A disk shrinks by what crosses less what the guest writes to it meanwhile.
            var shrinking = Enumerable.Range(0, m.DisksLeft.Count).Where(i => each > m.DiskWrites[i]).ToList();
            var step = shrinking.Count == 0 ? left : Math.Min(left, shrinking.Min(i => m.DisksLeft[i] / (each - m.DiskWrites[i])));
            for (var i = 0; i < m.DisksLeft.Count; i++)
            {
                m.DisksLeft[i] = Math.Max(0, m.DisksLeft[i] - (each - m.DiskWrites[i]) * step);
            }

            m.Processed += each * step * m.DisksLeft.Count;
            for (var i = m.DisksLeft.Count - 1; i >= 0; i--)
            {
                if (m.DisksLeft[i] <= 1e-6)
                {
                    m.DisksLeft.RemoveAt(i);
                    m.DiskWrites.RemoveAt(i);
                }
            }

            left -= step;
            if (shrinking.Count == 0)
            {
                break;
            }
        }

        return m.DisksLeft.Count > 0 ? 0 : left;
    }

    private Link? LinkOf(Migration m) => m.Link is null ? null : world.Topology.Links.First(l => l.Id == m.Link);

    /// <summary>What a migration may send now: in a cluster, its network within its cap; on a link, its max-min share of the link's flows.</summary>
    private double Bandwidth(Migration m, DateTime now)
    {
        if (m.Link is null)
        {
            var network = (world.Topology.FindCluster(m.Cluster)?.Migration.BandwidthBitsPerSecond ?? 10_000_000_000L) / 8.0;
            return Math.Min(network, m.Config.BandwidthCap);
        }

        var link = LinkOf(m)!;
        var capacity = link.BandwidthBitsPerSecond / 8.0 * (1 - link.Overhead) * faults.LinkFactor(m.Link, now);
        var connection = Network.LinkTransport.ConnectionBytesPerSecond(link) * faults.LinkFactor(m.Link, now);
        var demands = migrations.Values.Where(o => o.Link == m.Link && o.Phase == "Running").Append(m).DistinctBy(o => o.Key)
            .ToDictionary(o => o.Key, o => Math.Min(o.Config.BandwidthCap, connection * Connections(o)), StringComparer.Ordinal);
        return Network.LinkTransport.Share(capacity, demands)[m.Key];
    }

    /// <summary>Disks mirror one connection each; memory goes over 8 multifd connections, one with post-copy or a CPU limit.</summary>
    private static int Connections(Migration m) => m.DisksLeft.Count > 0 ? m.DisksLeft.Count : m.Config.PostCopy || m.CpuLimited ? 1 : 8;

    private void Transition(Migration m, string phase, DateTime now)
    {
        m.Phase = phase;
        m.PhaseSince = now;
        var state = MigrationState(m, now, completed: false, failed: false, reason: null);
        SetPhase(world.Clusters[m.Cluster], m.Namespace, m.Vmim, phase, now, state);
        if (m.TargetVmim is not null)
        {
            SetPhase(world.Clusters[m.TargetCluster!], m.TargetNamespace!, m.TargetVmim, phase, now, state);
        }

        if (phase == "Scheduling")
        {
            SetVmiMigrationState(world.Clusters[m.Cluster], m.Namespace, m.Vmi, state);
        }
    }

    private void Succeed(Migration m, DateTime now)
    {
        // Out of the table first: a failure below must not leave a finished migration behind.
        migrations.Remove(m.Key);
        m.Phase = "Succeeded";
        var state = MigrationState(m, now, completed: true, failed: false, reason: null);
        var source = world.Clusters[m.Cluster];
        if (m.TargetCluster is null)
        {
            var vmi = source.Store.Get(ResourceRegistry.VirtualMachineInstance, m.Namespace, m.Vmi);
            if (vmi is not null)
            {
                vmi["status"]!["nodeName"] = m.TargetNode;
                vmi["status"]!["migrationState"] = state.DeepClone();
                source.Store.Update(ResourceRegistry.VirtualMachineInstance, m.Namespace, m.Vmi, vmi, SimulatedWorld.Manager, statusOnly: true);
                vmi = source.Store.Get(ResourceRegistry.VirtualMachineInstance, m.Namespace, m.Vmi)!;
                vmi["metadata"]!["labels"]!["kubevirt.io/nodeName"] = m.TargetNode;
                source.Store.Update(ResourceRegistry.VirtualMachineInstance, m.Namespace, m.Vmi, vmi, SimulatedWorld.Manager);
            }
        }
        else
        {
            MoveAcrossClusters(m, now, state);
        }

        SetPhase(source, m.Namespace, m.Vmim, "Succeeded", now, state);
        if (m.TargetVmim is not null)
        {
            SetPhase(world.Clusters[m.TargetCluster!], m.TargetNamespace!, m.TargetVmim, "Succeeded", now, state);
        }

        Count(m, succeeded: true);
    }

    /// <summary>The decentralized hand-over: the VMI now runs in the target cluster, the receiver VM takes its restored run strategy, and the source VM stops.</summary>
    private void MoveAcrossClusters(Migration m, DateTime now, JsonObject state)
    {
        var source = world.Clusters[m.Cluster];
        var target = world.Clusters[m.TargetCluster!];
        var vmi = source.Store.Get(ResourceRegistry.VirtualMachineInstance, m.Namespace, m.Vmi);
        var receiver = target.Store.Get(ResourceRegistry.VirtualMachine, m.TargetNamespace!, m.TargetVmi!);
        var labels = (JsonObject?)receiver?["spec"]?["template"]?["metadata"]?["labels"]?.DeepClone() ?? (JsonObject?)vmi?["metadata"]?["labels"]?.DeepClone() ?? [];
        var spec = (JsonObject?)receiver?["spec"]?["template"]?["spec"]?.DeepClone() ?? [];
        spec["domain"] ??= vmi?["spec"]?["domain"]?.DeepClone() ?? new JsonObject();
        spec["volumes"] ??= new JsonArray();
        if (target.Store.Get(ResourceRegistry.Namespace, "", m.TargetNamespace!) is null)
        {
            target.Store.Create(ResourceRegistry.Namespace, "", new JsonObject { ["metadata"] = new JsonObject { ["name"] = m.TargetNamespace } }, SimulatedWorld.Manager);
        }

        // The receiver VMI that waited for the sync becomes the running one.
        if (target.Store.Get(ResourceRegistry.VirtualMachineInstance, m.TargetNamespace!, m.TargetVmi!) is { } waiting &&
            waiting["status"]?["phase"]?.GetValue<string>() == "WaitingForSync")
        {
            target.Store.Delete(ResourceRegistry.VirtualMachineInstance, m.TargetNamespace!, m.TargetVmi!);
        }

        if (target.Store.Get(ResourceRegistry.VirtualMachineInstance, m.TargetNamespace!, m.TargetVmi!) is null)
        {
            var agent = vmi?["status"]?["conditions"]?.AsArray().Any(c => c!["type"]!.GetValue<string>() == "AgentConnected") == true;
            SimulatedWorld.CreateVmi(target.Store, m.TargetNamespace!, m.TargetVmi!, labels, spec, m.TargetNode!, agent, (JsonObject)state.DeepClone(), vmi?["status"]?["guestOSInfo"]?.DeepClone() as JsonObject);
        }

        if (receiver is not null)
        {
            var restore = receiver["metadata"]?["annotations"]?["kubevirt.io/restore-run-strategy"]?.GetValue<string>() ?? "Always";
            receiver["spec"]!["runStrategy"] = restore;
            target.Store.Update(ResourceRegistry.VirtualMachine, m.TargetNamespace!, m.TargetVmi!, receiver, "virt-controller");
        }

        if (vmi is not null)
        {
            source.Store.Delete(ResourceRegistry.VirtualMachineInstance, m.Namespace, m.Vmi);
        }

        if (source.Store.Get(ResourceRegistry.VirtualMachine, m.Namespace, m.Vmi) is { } sourceVm)
        {
            sourceVm["spec"]!["runStrategy"] = "Halted";
            source.Store.Update(ResourceRegistry.VirtualMachine, m.Namespace, m.Vmi, sourceVm, "virt-controller");
        }
    }

    private void Fail(Migration m, DateTime now, string reason, bool aborted = false)
    {
        migrations.Remove(m.Key);
        m.Phase = "Failed";
        var state = MigrationState(m, now, completed: false, failed: true, reason);
        if (aborted)
        {
            state["abortRequested"] = true;
            state["abortStatus"] = "Succeeded";
        }

        var source = world.Clusters[m.Cluster];
        SetPhase(source, m.Namespace, m.Vmim, "Failed", now, state);
        if (m.TargetVmim is not null)
        {
            SetPhase(world.Clusters[m.TargetCluster!], m.TargetNamespace!, m.TargetVmim, "Failed", now, state);
        }

        SetVmiMigrationState(source, m.Namespace, m.Vmi, state);
        Count(m, succeeded: false);
    }

    private void Count(Migration m, bool succeeded)
    {
        var key = $"{m.Namespace}/{m.Vmi}/{m.Vmim}";
        var (s, f) = outcomes.GetValueOrDefault(key);
        outcomes[key] = succeeded ? (s + 1, f) : (s, f + 1);
    }

    /// <summary>A node goes NotReady: its VMIs fail, and every migration from or to it fails.</summary>
    public void LoseNode(string clusterName, string node)
    {
        lock (gate)
        {
            if (!world.Clusters.TryGetValue(clusterName, out var cluster) || cluster.Store.Get(ResourceRegistry.Node, "", node) is not { } live)
            {
                return;
            }

            var now = world.Clock.Now;
            live["status"]!["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "False", ["reason"] = "NodeStatusUnknown", ["message"] = "Kubelet stopped posting node status (simulated fault)" });
            cluster.Store.Update(ResourceRegistry.Node, "", node, live, "node-controller", statusOnly: true);
            foreach (var m in migrations.Values.Where(m => m.Cluster == clusterName && m.SourceNode == node || (m.TargetCluster ?? m.Cluster) == clusterName && m.TargetNode == node).ToList())
            {
                Fail(m, now, $"node {node} was lost during the migration");
            }

            foreach (var vmi in cluster.Store.List(ResourceRegistry.VirtualMachineInstance, null).Items.Where(v => v["status"]?["nodeName"]?.GetValue<string>() == node))
            {
                vmi["status"]!["phase"] = "Failed";
                cluster.Store.Update(ResourceRegistry.VirtualMachineInstance, vmi["metadata"]!["namespace"]!.GetValue<string>(), vmi["metadata"]!["name"]!.GetValue<string>(), vmi, "virt-handler", statusOnly: true);
            }
        }
    }

    private JsonObject MigrationState(Migration m, DateTime now, bool completed, bool failed, string? reason)
    {
        var state = new JsonObject
        {
            ["migrationUid"] = Uid(m.Key),
            ["sourceNode"] = m.SourceNode,
            ["targetNode"] = m.TargetNode,
            ["mode"] = m.Mode,
            ["completed"] = completed,
            ["failed"] = failed,
        };
        if (m.Phase is "Running" or "Succeeded" or "Failed" && m.RunningSince != default)
        {
            state["startTimestamp"] = Time(m.RunningSince);
        }

        if (completed || failed)
        {
            state["endTimestamp"] = Time(now);
        }

        if (reason is not null)
        {
            state["failureReason"] = reason;
        }

        if (m.Config.Policy is { } policy)
        {
            state["migrationPolicyName"] = policy;
        }

        if (m.TargetNode is not null)
        {
            state["targetNodeAddress"] = $"10.{HashCode(m.TargetNode) & 0xff}.0.1";
        }

        return state;
    }

    private void SetPhase(SimulatedCluster cluster, string ns, string name, string phase, DateTime now, JsonObject? state)
    {
        if (cluster.Store.Get(ResourceRegistry.Migration, ns, name) is not { } vmim)
        {
            return;
        }

        var status = vmim["status"]?.DeepClone() as JsonObject ?? new JsonObject();
        status["phase"] = phase;
        var transitions = status["phaseTransitionTimestamps"] as JsonArray ?? [];
        transitions.Add(new JsonObject { ["phase"] = phase, ["phaseTransitionTimestamp"] = Time(now) });
        status["phaseTransitionTimestamps"] = transitions.DeepClone();
        if (state is not null)
        {
            status["migrationState"] = state.DeepClone();
        }

        if (cluster.Store.Get(ResourceRegistry.KubeVirt, "kubevirt", "kubevirt")?["status"]?["synchronizationAddresses"] is JsonArray { Count: > 0 } addresses &&
            vmim["spec"]?["receive"] is not null)
        {
            status["synchronizationAddresses"] = addresses.DeepClone();
        }

        vmim["status"] = status;
        if (phase is "Pending" && vmim["metadata"]?["labels"]?["kubevirt.io/vmi-name"] is null)
        {
            // virt-controller labels each VMIM with its VMI.
            var withLabel = (JsonObject)vmim.DeepClone();
            if (withLabel["metadata"]!["labels"] is not JsonObject labels)
            {
                labels = new JsonObject();
                withLabel["metadata"]!["labels"] = labels;
            }

            labels["kubevirt.io/vmi-name"] = vmim["spec"]?["vmiName"]?.GetValue<string>();
            withLabel.Remove("status");
            vmim = cluster.Store.Update(ResourceRegistry.Migration, ns, name, withLabel, "virt-controller");
            vmim["status"] = status.DeepClone();
        }

        cluster.Store.Update(ResourceRegistry.Migration, ns, name, vmim, "virt-controller", statusOnly: true);
    }

    private static void SetVmiMigrationState(SimulatedCluster cluster, string ns, string name, JsonObject state)
    {
        if (cluster.Store.Get(ResourceRegistry.VirtualMachineInstance, ns, name) is { } vmi)
        {
            vmi["status"]!["migrationState"] = state.DeepClone();
            cluster.Store.Update(ResourceRegistry.VirtualMachineInstance, ns, name, vmi, "virt-handler", statusOnly: true);
        }
    }

    /// <summary>Prometheus samples, with KubeVirt's own metric names (kubevirt-facts §8).</summary>
    public IReadOnlyList<(string Cluster, string Metric, IReadOnlyList<(string, string)> Labels, double Value)> Samples()
    {
        lock (gate)
        {
            return [.. CollectSamples()];
        }
    }

    private IEnumerable<(string Cluster, string Metric, IReadOnlyList<(string, string)> Labels, double Value)> CollectSamples()
    {
        {
            foreach (var m in migrations.Values.Where(m => m.Phase == "Running").OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                (string, string)[] labels = [("namespace", m.Namespace), ("name", m.Vmi), ("node", m.SourceNode)];
                yield return (m.Cluster, "kubevirt_vmi_migration_data_processed_bytes", labels, m.Processed);
                yield return (m.Cluster, "kubevirt_vmi_migration_data_remaining_bytes", labels, m.Pending + m.Dirtied + m.DisksLeft.Sum());
                yield return (m.Cluster, "kubevirt_vmi_migration_data_bytes_total", labels, m.Memory + m.Disk);
                yield return (m.Cluster, "kubevirt_vmi_migration_dirty_memory_rate_bytes", labels, m.CurrentDirty);
                yield return (m.Cluster, "kubevirt_vmi_migration_memory_transfer_rate_bytes", labels, m.Rate);
            }

            foreach (var cluster in world.Clusters.Keys)
            {
                var here = migrations.Values.Where(m => m.Cluster == cluster).ToList();
                yield return (cluster, "kubevirt_vmi_migrations_in_pending_phase", [], here.Count(m => m.Phase == "Pending"));
                yield return (cluster, "kubevirt_vmi_migrations_in_scheduling_phase", [], here.Count(m => m.Phase == "Scheduling"));
                yield return (cluster, "kubevirt_vmi_migrations_in_running_phase", [], here.Count(m => m.Phase is "Running" or "Scheduled" or "PreparingTarget" or "TargetReady" or "Synchronizing"));
            }

            foreach (var (key, (succeeded, failed)) in outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
            {
                var parts = key.Split('/');
                (string, string)[] labels = [("namespace", parts[0]), ("vmi", parts[1]), ("vmim", parts[2])];
                yield return ("", "kubevirt_vmi_migration_succeeded", labels, succeeded);
                yield return ("", "kubevirt_vmi_migration_failed", labels, failed);
            }
        }
    }

    private static double? ParseQuantity(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when JsonValues.Number(v) is { } d => d,
        JsonValue v when v.TryGetValue<string>(out var s) => Quantities.Bytes(s),
        _ => null,
    };

    private static string Time(DateTime time) => Timestamps.Format(time);

    private static int HashCode(string text)
    {
        // Stable across runs (string.GetHashCode is randomized per process).
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked(hash * 31 + c);
        }

        return hash & 0x7fffffff;
    }

    private static string Uid(string key)
    {
        var hex = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }
}
