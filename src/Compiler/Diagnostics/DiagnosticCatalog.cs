namespace Reconcile.Compiler.Diagnostics;

/// <summary>
/// Every diagnostic Reconcile can report. Families: RC1xxx loading and schema, RC2xxx references,
/// RC3xxx feasibility and the seed pre-flight checklist, RC4xxx windows, RC5xxx strategy,
/// RC6xxx templates and rendered manifests.
/// A test keeps this list and docs/diagnostics.md in step.
/// </summary>
public static class DiagnosticCatalog
{
    private const Severity E = Severity.Error;
    private const Severity W = Severity.Warning;
    private const Severity I = Severity.Info;

    // RC1xxx: reading files, YAML, and the JSON Schema.
    public static readonly DiagnosticDescriptor YamlSyntax = new("RC1001", "yaml-syntax", E, null,
        "Fix the YAML at this position; a YAML-aware editor or `yq . FILE` shows the same problem.");
    public static readonly DiagnosticDescriptor DuplicateKey = new("RC1002", "duplicate-key", E, null,
        "Remove one of the two keys; YAML parsers disagree on which one wins, so Reconcile refuses both.");
    public static readonly DiagnosticDescriptor FileTooLarge = new("RC1003", "file-too-large", E, null,
        "Split the plan into several files; each file may hold at most 16 MiB.");
    public static readonly DiagnosticDescriptor YamlTooComplex = new("RC1004", "yaml-too-complex", E, null,
        "Write the values out instead of nesting aliases (&anchor / *alias) or deep structures.");
    public static readonly DiagnosticDescriptor PathNotFound = new("RC1005", "path-not-readable", E, null,
        "Check the path; give a plan file or a directory that holds *.yaml files.", IsInputProblem: true);
    public static readonly DiagnosticDescriptor NoDocuments = new("RC1006", "no-documents", E, null,
        "Point Reconcile at a directory or files holding Topology, Inventory and MigrationPlan documents.", IsInputProblem: true);
    public static readonly DiagnosticDescriptor UnsupportedKey = new("RC1007", "unsupported-key", E, null,
        "Use plain scalar keys (strings); complex keys and YAML merge keys (<<) are not part of the plan language.");
    public static readonly DiagnosticDescriptor NotARegularFile = new("RC1008", "not-a-regular-file", E, null,
        "Commit the plan file itself: links that leave the given paths, FIFOs, devices and sockets are never read.");
    public static readonly DiagnosticDescriptor NotRead = new("RC1009", "not-read", W, null,
        "Links to directories are not followed and unreadable directories are skipped; give the directory itself, or fix its permissions.");
    public static readonly DiagnosticDescriptor UnknownField = new("RC1010", "unknown-field", E, null,
        "Check the spelling against schema/plan.schema.json; the editor modeline gives completion.");
    public static readonly DiagnosticDescriptor WrongType = new("RC1011", "wrong-type", E, null,
        "Quote strings that look like numbers, and write lists with `-` or [ ].");
    public static readonly DiagnosticDescriptor MissingField = new("RC1012", "missing-field", E, null,
        "Add the field; schema/plan.schema.json describes it.");
    public static readonly DiagnosticDescriptor ValueNotAllowed = new("RC1013", "value-not-allowed", E, null,
        "Use one of the listed values (they are case-sensitive).");
    public static readonly DiagnosticDescriptor BadFormat = new("RC1014", "bad-format", E, null,
        "Write the value in the format shown, e.g. 32Gi, 10Gbps, 150s, 2026-12-05T00:00:00Z, a lowercase DNS name.");
    public static readonly DiagnosticDescriptor OutOfRange = new("RC1015", "out-of-range", E, null,
        "Bring the value or the number of items into the range the schema allows.");
    public static readonly DiagnosticDescriptor SchemaViolation = new("RC1016", "schema-violation", E, null,
        "Compare the value with schema/plan.schema.json.");
    public static readonly DiagnosticDescriptor EmptyFile = new("RC1017", "empty-file", W, null,
        "A plan file with no document is how a truncated file arrives in a pull request; restore its content or delete it.");
    public static readonly DiagnosticDescriptor InvalidValue = new("RC1020", "invalid-value", E, null,
        "The value has the right shape but cannot be used (an impossible date or a quantity too large); correct it.");
    public static readonly DiagnosticDescriptor InternalError = new("RC1099", "internal-error", E, null,
        "This is a bug in Reconcile; please report it with the input that caused it.");

    // RC2xxx: names and references between documents.
    public static readonly DiagnosticDescriptor DuplicateDocument = new("RC2001", "duplicate-document", E, null,
        "Give each document of a kind its own metadata.name, or delete the copy.");
    public static readonly DiagnosticDescriptor DuplicateName = new("RC2002", "duplicate-name", E, null,
        "Names must be unique in their list; rename or remove one entry.");
    public static readonly DiagnosticDescriptor UnknownTopology = new("RC2003", "unknown-topology", E, null,
        "Name a Topology document that exists in the plan paths (metadata.name).");
    public static readonly DiagnosticDescriptor UnknownInventory = new("RC2004", "unknown-inventory", E, null,
        "Name an Inventory document that exists in the plan paths, or omit `inventories` to use all.");
    public static readonly DiagnosticDescriptor UnknownCluster = new("RC2005", "unknown-cluster", E, "S10",
        "Name a cluster declared in the Topology's spec.clusters.");
    public static readonly DiagnosticDescriptor UnknownNode = new("RC2006", "unknown-node", E, "S10",
        "Name a node declared under the cluster's `nodes` in the Topology.");
    public static readonly DiagnosticDescriptor UnknownStorageClass = new("RC2007", "unknown-storage-class", E, "S3",
        "Declare the storage class under the cluster's `storageClasses`, or fix the name.");
    public static readonly DiagnosticDescriptor UnknownMove = new("RC2008", "unknown-move", E, null,
        "`after` lists names of other moves in the same MigrationPlan.");
    public static readonly DiagnosticDescriptor MissingNetworkAttachment = new("RC2009", "missing-network-attachment", E, "S13",
        "Create the NetworkAttachmentDefinition on the target cluster and list it in its `networkAttachmentDefinitions`.");
    public static readonly DiagnosticDescriptor VmInTwoMoves = new("RC2010", "vm-in-two-moves", E, null,
        "Narrow the selectors so that each VM belongs to exactly one move.");
    public static readonly DiagnosticDescriptor MoveSelectsNothing = new("RC2011", "move-selects-nothing", W, null,
        "Check the move's `select` against the Inventory (namespaces, labels, nodes) or remove the move.");
    public static readonly DiagnosticDescriptor UnknownVm = new("RC2012", "unknown-vm", E, null,
        "Write names as namespace/name of a VM listed in an Inventory the plan uses.");
    public static readonly DiagnosticDescriptor VmNotOnSourceCluster = new("RC2013", "vm-not-on-source-cluster", E, null,
        "A move only takes VMs that run on its `from` cluster; fix `from` or the VM name.");
    public static readonly DiagnosticDescriptor DependencyCycle = new("RC2014", "dependency-cycle", E, null,
        "Remove one `after` entry so the moves can be ordered.");
    public static readonly DiagnosticDescriptor SelectorMatchesNothing = new("RC2015", "selector-matches-nothing", W, "S32",
        "The priority or group selects no VM of this plan; fix its `select` or remove it.");

    // RC3xxx: can the move work at all; the seed's pre-flight checklist (S10-S16, S23-S25).
    public static readonly DiagnosticDescriptor NoLink = new("RC3001", "no-link", E, "S5",
        "Declare a link between the two clusters in the Topology (dedicated line or VPN), or route the move `via` a cluster that has one.");
    public static readonly DiagnosticDescriptor LatencyTooHighForLive = new("RC3002", "latency-too-high-for-live", E, "S2",
        "Do not live-migrate over this link: set `mode: Staged` (disks replicated ahead by the storage, then a cold cut-over; S28) or `mode: Cold`, or raise checks.maxLiveLatency if you measured that it works.");
    public static readonly DiagnosticDescriptor VolumeNotShared = new("RC3003", "volume-not-read-write-many", E, "S16",
        "Live migration needs ReadWriteMany volumes; convert the PVC (storage class with RWX) or set checks.requireReadWriteMany: false and accept block migration.");
    public static readonly DiagnosticDescriptor VolumeNotRetain = new("RC3004", "volume-not-retain", E, "S16",
        "Use reclaimPolicy: Retain so a failed or rolled-back move cannot delete the data, or set checks.requireRetain: false to accept the risk.");
    public static readonly DiagnosticDescriptor CpuIncompatible = new("RC3005", "cpu-incompatible", E, "S11",
        "Pick a target with CPUs of the same vendor, not older and at most checks.maxCpuGenerationGap generations newer, or set an explicit cpu.model both sides support.");
    public static readonly DiagnosticDescriptor HostPassthroughMismatch = new("RC3006", "host-passthrough-mismatch", E, "S23",
        "host-passthrough needs an identical CPU model on the target; switch the VM to host-model or a named model.");
    public static readonly DiagnosticDescriptor WindowsWithoutVirtio = new("RC3007", "windows-without-virtio", E, "S15",
        "Install the VirtIO drivers in the Windows guest first, then set guest.virtio: true.");
    public static readonly DiagnosticDescriptor HostDevices = new("RC3008", "host-devices", E, null,
        "VMs with host devices (GPU, SR-IOV) cannot live-migrate; detach them or use `mode: Cold` for this move.");
    public static readonly DiagnosticDescriptor MigrationNetworkMissing = new("RC3009", "migration-network-missing", E, "S8",
        "Set migration.cidr (the addresses this cluster's virt-handlers migrate from, as the peer sees them) so the isolating peer's policy can admit them.");
    public static readonly DiagnosticDescriptor MtuMismatch = new("RC3010", "mtu-mismatch", E, "S24",
        "Use the same MTU (e.g. 9000 end to end) on every hop, or lower the larger ones to the path's smallest.");
    public static readonly DiagnosticDescriptor CpuManagerNotStatic = new("RC3011", "cpu-manager-not-static", E, "S12",
        "Set kubelet cpuManagerPolicy: static on the target cluster, or drop cpu.dedicated from the VM.");
    public static readonly DiagnosticDescriptor VmDoesNotFit = new("RC3012", "vm-does-not-fit", E, "S25",
        "No target node has enough memory (or hugepages) for this VM; add a larger node or pick another target.");
    public static readonly DiagnosticDescriptor UnencryptedMigration = new("RC3013", "unencrypted-migration", W, "S9",
        "Turn on migration.tls on both clusters or use an encrypted link; memory pages cross the wire in clear.");
    public static readonly DiagnosticDescriptor ImmediateBinding = new("RC3014", "immediate-volume-binding", W, "S7",
        "Use volumeBindingMode: WaitForFirstConsumer so volumes bind in the zone the VM lands in.");
    public static readonly DiagnosticDescriptor EvictionNotLive = new("RC3015", "eviction-strategy-not-live", W, "S17",
        "Set evictionStrategy: LiveMigrate so node drains live-migrate the VM instead of stopping it.");
    public static readonly DiagnosticDescriptor GuestAgentMissing = new("RC3016", "guest-agent-missing", W, "S20",
        "Install qemu-guest-agent in the VM, or set strategy.verify.guestAgent: false.");
    public static readonly DiagnosticDescriptor DecentralizedUnsupported = new("RC3017", "decentralized-migration-unavailable", E, null,
        "Cross-cluster live migration needs KubeVirt >= v1.6 on both clusters with the DecentralizedLiveMigration feature gate (enabled by default from v1.10).");
    public static readonly DiagnosticDescriptor SynchronizationAddressMissing = new("RC3018", "synchronization-address-missing", E, "S5",
        "Set kubevirt.synchronizationAddress (host:port of the target's virt-synchronization-controller, port 9185 by default) so the source VMIM can dial it.");
    public static readonly DiagnosticDescriptor ExportAddressMissing = new("RC3019", "export-address-missing", E, null,
        "Set kubevirt.exportAddress (the virt-exportproxy Ingress or Route other clusters reach) on the source, or move the VM live, or staged over storage replication.");
    public static readonly DiagnosticDescriptor KubeVirtReleaseUnsupported = new("RC3020", "kubevirt-release-unsupported", E, null,
        "Declare kubevirt.version as the cluster runs it (`kubectl get kubevirt -A -o jsonpath='{.items[0].status.observedKubeVirtVersion}'`); Reconcile renders for v1.6.0 and later.");
    public static readonly DiagnosticDescriptor MaxDowntimeNotEnforced = new("RC3021", "max-downtime-not-enforced", W, "S23",
        "Plan with QEMU's 300ms, or run KubeVirt v1.9.0 or later with the MigrationStallDetection feature gate on the sending cluster so the MigrationPolicy's maxDowntimeMs applies.");
    public static readonly DiagnosticDescriptor MigrationPortsIgnored = new("RC3023", "migration-ports-ignored", W, "S8",
        "Remove migration.ports: KubeVirt's migration proxies listen on random ports (pkg/virt-handler/migration-proxy binds port 0), so a port range would refuse migrations; the rendered policies open every TCP port to the peers' migration CIDRs instead.");
    public static readonly DiagnosticDescriptor MultiNetworkPolicyWithoutAttachment = new("RC3024", "multi-network-policy-without-attachment", E, "S13",
        "MultiNetworkPolicy governs Multus attachments only: set migration.network to the NetworkAttachmentDefinition KubeVirt migrates over, or drop MultiNetworkPolicy from isolatedBy.");
    public static readonly DiagnosticDescriptor NetworkPolicyMissesAttachment = new("RC3025", "network-policy-misses-attachment", I, "S13",
        "NetworkPolicy filters the pod network only, not the Multus migration network; if a multi-networkpolicy implementation isolates that attachment, add MultiNetworkPolicy to isolatedBy so Reconcile opens it.");
    public static readonly DiagnosticDescriptor ClusterCapacityExceeded = new("RC3026", "cluster-capacity-exceeded", E, "S25",
        "Move fewer VMs to these nodes (split the move, or target another cluster), add or enlarge nodes and declare them, or let the VMs land on more nodes (a wider nodeSelector; host-passthrough VMs only fit nodes of their own CPU).");
    public static readonly DiagnosticDescriptor StagedWithoutReplication = new("RC3027", "staged-without-replication", E, "S28",
        "Declare the storage replication the class has into the target (storageClasses[].replication: to, volumeReplicationClass, rpo), or move the VM with mode: Cold (stop, copy, start) or mode: Live. KubeVirt and CDI copy whole disks, so nothing else sends only what changed since a copy made ahead.");
    public static readonly DiagnosticDescriptor StreamBandwidthUnmeasured = new("RC3028", "stream-bandwidth-unmeasured", W, "S14",
        "Measure what one connection reaches and declare it on the link: streamBandwidth from `iperf3 -c PEER -P 1 -t 30` (bandwidth stays the `-P 8` figure), or tcpWindow from the sending nodes' `sysctl net.ipv4.tcp_wmem` (third value). Raising that maximum (and net.core.wmem_max) on the nodes speeds migrations up on long round trips.");
    public static readonly DiagnosticDescriptor LinkUnmeasured = new("RC3029", "link-unmeasured", W, "S14",
        "Measure the link from a node of each cluster and declare it: latency from `ping -c 100 PEER` (the average round trip), bandwidth from `iperf3 -c PEER -P 8 -t 30`, and streamBandwidth from `iperf3 -c PEER -P 1 -t 30`. No API says what the network between clusters does, so `reconcile discover` writes the pairs and leaves the figures to you.");
    public static readonly DiagnosticDescriptor MoveOverUnmeasuredLink = new("RC3030", "move-over-unmeasured-link", E, "S14",
        "Measure the link the move crosses and declare its latency and bandwidth (RC3029 at the link says how); nothing about the move can be predicted until then.");
    public static readonly DiagnosticDescriptor StorageSharedAcrossClusters = new("RC3022", "storage-shared-across-clusters", E, "S3",
        "Remove sharedWith: KubeVirt copies every disk into the receiver's own volumes across clusters, and Reconcile renders those volumes and counts the bytes. Shared storage saves copies only inside one cluster.");

    // RC4xxx: windows (S30).
    public static readonly DiagnosticDescriptor InvalidCron = new("RC4001", "invalid-cron", E, "S30",
        "Use a five-field cron expression: minute hour day-of-month month day-of-week, e.g. \"0 1 * * 6,0\".");
    public static readonly DiagnosticDescriptor CronNeverFires = new("RC4002", "cron-never-fires", E, "S30",
        "The expression names a date that does not exist (e.g. 30 February); fix day and month.");
    public static readonly DiagnosticDescriptor UnknownTimeZone = new("RC4003", "unknown-time-zone", E, "S30",
        "Use an IANA time zone name such as Asia/Shanghai or Europe/Berlin.");
    public static readonly DiagnosticDescriptor NoAllowedTime = new("RC4004", "no-allowed-time", E, "S30",
        "Deny windows cover every allow window in the planning horizon; shorten a deny window, add an allow window or raise spec.horizon.");
    public static readonly DiagnosticDescriptor DenyEndsBeforeStart = new("RC4005", "deny-ends-before-start", E, "S30",
        "Set `end` after `start`.");
    public static readonly DiagnosticDescriptor VmExceedsWindow = new("RC4006", "vm-exceeds-window", E, "S30",
        "Lengthen a window, raise bandwidthPerMigration, stage the move (replicate disks ahead) or enable auto-converge.");
    public static readonly DiagnosticDescriptor NoWindowForMove = new("RC4007", "no-window-for-move", E, "S30",
        "No allow window applies to both clusters of this move; add one whose `clusters` include both, or leave `clusters` out.");
    public static readonly DiagnosticDescriptor NotSchedulable = new("RC4009", "not-schedulable", E, "S30",
        "Lengthen or add windows, raise spec.horizon, or raise the bandwidth so the step fits; VMs that wait for it cannot start either.");
    public static readonly DiagnosticDescriptor WindowChecksNeedAnchor = new("RC4008", "window-checks-need-anchor", I, "S30",
        "Set spec.notBefore so the windows can be checked against the real calendar.");

    // RC5xxx: strategy.
    public static readonly DiagnosticDescriptor ParallelismAboveLimit = new("RC5001", "parallelism-above-kubevirt-limit", E, null,
        "KubeVirt queues anything above its own limit; lower strategy.parallelism or raise the cluster's KubeVirt limits first.");
    public static readonly DiagnosticDescriptor PrecopyNeverConverges = new("RC5002", "precopy-never-converges", E, "S4",
        "The VM dirties memory as fast as the link sends it; enable allowAutoConverge or allowPostCopy, raise bandwidthPerMigration, or lower the guest's dirty rate (vm.dirty_ratio, S27).");
    public static readonly DiagnosticDescriptor PrecopySlow = new("RC5003", "precopy-slow-convergence", W, "S4",
        "Dirty rate is above 80% of the bandwidth: expect many pre-copy rounds; consider auto-converge or more bandwidth.");
    public static readonly DiagnosticDescriptor PostCopyOverWan = new("RC5004", "post-copy-over-wan", W, "S23",
        "With post-copy the VM runs on both sides; a link failure mid-migration can crash it. Prefer auto-converge across regions.");
    public static readonly DiagnosticDescriptor InvalidVia = new("RC5005", "invalid-via", E, "S28",
        "`via` must name a third cluster, in the source region, that storage can be staged through.");
    public static readonly DiagnosticDescriptor ViaOutsideSourceRegion = new("RC5006", "via-outside-source-region", W, "S28",
        "Stage through a cluster in the source region, so the first hop is a short intra-region move.");
    public static readonly DiagnosticDescriptor SuppressUnknownCode = new("RC5007", "suppress-unknown-code", W, null,
        "Remove the code from spec.suppress, or correct it (see docs/diagnostics.md).");
    public static readonly DiagnosticDescriptor SuppressError = new("RC5008", "suppress-error-code", W, null,
        "Errors cannot be suppressed; fix the problem instead and remove the code from spec.suppress.");
    public static readonly DiagnosticDescriptor CanaryExceedsFleet = new("RC5009", "canary-exceeds-fleet", W, null,
        "Lower strategy.canary below the number of VMs the plan moves, or the canary stage is the whole campaign.");

    public static readonly DiagnosticDescriptor CompletionTimeout = new("RC5010", "completion-timeout-exceeded", E, "S23",
        "KubeVirt would abort the migration at completionTimeoutPerGiB × size; raise completionTimeoutPerGiB or the bandwidth, or allow post-copy or workload disruption.");
    public static readonly DiagnosticDescriptor ProgressTimeout = new("RC5011", "progress-timeout-exceeded", E, "S23",
        "KubeVirt aborts a migration whose data remaining does not fall for progressTimeout. A disk written as fast as its mirror connection carries never drains: quiesce its writes for the move, move the VM cold or staged, or give the connection more (tcpWindow, a shorter path); pre-copy rounds that stop shrinking: raise the bandwidth or allow post-copy.");

    // RC6xxx: templates and manifests.
    public static readonly DiagnosticDescriptor TemplateSyntax = new("RC6001", "template-syntax", E, null,
        "Fix the Scriban syntax at this position of the template (see templates/ for the defaults).");
    public static readonly DiagnosticDescriptor TemplateRuntime = new("RC6002", "template-runtime", E, null,
        "The template uses a variable or function that does not exist, or loops too long; docs/manifests.md lists what templates receive.");
    public static readonly DiagnosticDescriptor RenderedYamlInvalid = new("RC6003", "rendered-yaml-invalid", E, null,
        "The template produced text that is not one YAML mapping; check indentation and quoting in the template.");

    public static IReadOnlyList<DiagnosticDescriptor> All { get; } =
        typeof(DiagnosticCatalog).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .OrderBy(d => d.Code, StringComparer.Ordinal)
            .ToList();

    public static DiagnosticDescriptor? Find(string code) => All.FirstOrDefault(d => d.Code == code);
}
