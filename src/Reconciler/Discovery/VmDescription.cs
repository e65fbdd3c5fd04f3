using System.Text.Json.Nodes;
using Reconcile.Compiler.Model;
using static Reconcile.Reconciler.Discovery.PlanValues;

namespace Reconcile.Reconciler.Discovery;

/// <summary>What the cluster holds that a VM's description needs: claims by namespace/name, volumes by name, the cluster-wide eviction strategy.</summary>
public sealed record VmContext(IReadOnlyDictionary<string, JsonObject> Claims, IReadOnlyDictionary<string, JsonObject> PersistentVolumes, string? ClusterEvictionStrategy, bool MetricsAsked);

/// <summary>
/// An Inventory VM from a VirtualMachine and its running VMI: where it runs, its CPU, memory and
/// devices from the VMI (as virt-api's webhooks completed them), guest OS and agent from the guest
/// agent's report (status.guestOSInfo, the AgentConnected condition), volumes from the bound claims and
/// volumes, networks, and the dirty and write rates Prometheus measured. Measured guest timings and
/// rates nobody measured come from the previous file when it had them.
/// </summary>
public static class VmDescription
{
    private static readonly HashSet<string> LinuxIds = new(StringComparer.OrdinalIgnoreCase)
    {
        "rhel", "centos", "fedora", "rocky", "almalinux", "ol", "ubuntu", "debian", "sles", "sled", "opensuse", "opensuse-leap", "opensuse-tumbleweed",
        "amzn", "arch", "alpine", "gentoo", "coreos", "rhcos", "flatcar", "photon", "mariner", "azurelinux", "cos",
    };

    public static YamlMapping Describe(JsonObject vm, JsonObject vmi, VmContext context, GuestRates? rates, Vm? previous)
    {
        var meta = vm["metadata"]!;
        var ns = Str(meta["namespace"]) ?? "";
        var name = Str(meta["name"]) ?? "";
        var spec = vmi["spec"];
        var domain = spec?["domain"];
        var entries = new List<YamlEntry>
        {
            new("name", YamlScalar.Of(name)),
            new("namespace", YamlScalar.Of(ns)),
            new("node", YamlScalar.Of(Str(vmi["status"]?["nodeName"]) ?? "")),
        };
        if (meta["labels"] is JsonObject labels && labels.Count > 0)
        {
            entries.Add(new YamlEntry("labels", ClusterDescription.Labels(labels.Select(l => KeyValuePair.Create(l.Key, Str(l.Value) ?? "")))));
        }

        var memory = Quantity(domain?["memory"]?["guest"]) ?? Quantity(domain?["resources"]?["requests"]?["memory"]);
        entries.Add(new YamlEntry("memory", YamlScalar.Raw(Bytes((long)(memory ?? 0))), memory is null ? "neither domain.memory.guest nor a memory request: set it" : null));
        entries.Add(new YamlEntry("cpu", Cpu(domain?["cpu"], domain?["resources"]?["limits"]?["cpu"])));
        entries.Add(DirtyRate(rates, context.MetricsAsked, previous));
        entries.Add(Guest(vmi, domain, previous));
        if ((Str(spec?["evictionStrategy"]) ?? Str(vm["spec"]?["template"]?["spec"]?["evictionStrategy"])) is { } eviction)
        {
            entries.Add(new YamlEntry("evictionStrategy", YamlScalar.Of(eviction)));
        }
        else if (context.ClusterEvictionStrategy is { } clusterWide)
        {
            entries.Add(new YamlEntry("evictionStrategy", YamlScalar.Of(clusterWide), "the cluster-wide default (KubeVirt CR spec.configuration.evictionStrategy)"));
        }

        if (Long(spec?["terminationGracePeriodSeconds"]) is { } grace)
        {
            entries.Add(new YamlEntry("terminationGracePeriod", YamlScalar.Raw(grace == 0 ? "0s" : Duration(TimeSpan.FromSeconds(grace)))));
        }

        if (Str(domain?["memory"]?["hugepages"]?["pageSize"]) is { } pageSize && Quantity(JsonValue.Create(pageSize)) is { } pageBytes)
        {
            entries.Add(new YamlEntry("hugepages", YamlScalar.Raw(Bytes((long)pageBytes))));
        }

        entries.Add(Volumes(ns, spec, context, rates, previous));
        var networks = (spec?["networks"] as JsonArray)?.OfType<JsonObject>().Select(n =>
        {
            var fields = new List<YamlEntry> { new("name", YamlScalar.Of(Str(n["name"]) ?? "")) };
            if (Str(n["multus"]?["networkName"]) is { } nad)
            {
                fields.Add(new YamlEntry("nad", YamlScalar.Of(nad)));
            }

            return (YamlValue)new YamlMapping(fields, Flow: true);
        }).ToList() ?? [];
        entries.Add(new YamlEntry("networks", new YamlSequence(networks, Flow: true)));
        var devices = domain?["devices"];
        var hostDevices = new[] { devices?["hostDevices"], devices?["gpus"] }.OfType<JsonArray>().SelectMany(a => a).Select(d => Str(d?["deviceName"])).OfType<string>().ToList();
        if (hostDevices.Count > 0)
        {
            entries.Add(new YamlEntry("hostDevices", new YamlSequence([.. hostDevices.Select(YamlScalar.Of)], Flow: true), "host devices and GPUs pin the VM to its node (RC3008)"));
        }

        return new YamlMapping(entries);
    }

    private static YamlMapping Cpu(JsonNode? cpu, JsonNode? limit)
    {
        // vCPUs are sockets × cores × threads, each 1 unless set (KubeVirt's defaults).
        var vcpus = (Long(cpu?["sockets"]) ?? 1) * (Long(cpu?["cores"]) ?? 1) * (Long(cpu?["threads"]) ?? 1);
        var fields = new List<YamlEntry> { new("cores", YamlScalar.Of(vcpus)), new("model", YamlScalar.Of(Str(cpu?["model"]) ?? VmCpu.HostModel)) };
        if (Bool(cpu?["dedicatedCpuPlacement"]) == true)
        {
            fields.Add(new YamlEntry("dedicated", YamlScalar.Of(true)));
        }

        if ((Str(limit) ?? (limit is JsonValue ? limit.ToJsonString() : null)) is { } cpuLimit)
        {
            fields.Add(new YamlEntry("limit", YamlScalar.Of(cpuLimit)));
        }

        return new YamlMapping(fields, Flow: true);
    }

    private static YamlEntry DirtyRate(GuestRates? rates, bool asked, Vm? previous)
    {
        if (rates?.DirtyRate is { } measured)
        {
            return new YamlEntry("dirtyRate", YamlScalar.Raw(Rate(measured)), "measured: kubevirt_vmi_dirty_rate_bytes_per_second over the lookback");
        }

        var why = asked ? "no kubevirt_vmi_dirty_rate_bytes_per_second samples in the lookback" : "no --prometheus given";
        return previous is { DirtyBytesPerSecond: > 0 } kept
            ? new YamlEntry("dirtyRate", YamlScalar.Raw(PlanValues.Bytes(kept.DirtyBytesPerSecond)), $"kept from the previous file: {why}")
            : new YamlEntry("dirtyRate", null, $"{why}; the planner assumes the guest dirties nothing (measure it, S4)");
    }

    private static YamlEntry Guest(JsonObject vmi, JsonNode? domain, Vm? previous)
    {
        var conditions = (vmi["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>() ?? [];
        var agent = conditions.Any(c => Str(c["type"]) == "AgentConnected" && Str(c["status"]) == "True");
        var info = vmi["status"]?["guestOSInfo"];
        var id = Str(info?["id"]);
        var os = id is null ? null : id == "mswindows" ? "windows" : LinuxIds.Contains(id) || (Str(info?["name"])?.Contains("Linux", StringComparison.OrdinalIgnoreCase) ?? false) ? "linux" : "other";
        var notes = new List<string>();
        if (os is null && previous?.Guest.Os is { } keptOs)
        {
            os = keptOs;
            notes.Add("os kept from the previous file: no guest agent report");
        }
        else if (os is null)
        {
            notes.Add("os unknown: no guest agent report");
        }

        var devices = domain?["devices"];
        var buses = (devices?["disks"] as JsonArray)?.Select(d => Str(d?["disk"]?["bus"]) ?? "virtio").ToList() ?? [];
        var models = (devices?["interfaces"] as JsonArray)?.Select(i => Str(i?["model"]) ?? "virtio").ToList() ?? [];
        var virtio = buses.Concat(models).All(b => b.StartsWith("virtio", StringComparison.Ordinal));
        var fields = new List<YamlEntry>();
        if (os is not null)
        {
            fields.Add(new YamlEntry("os", YamlScalar.Of(os)));
        }

        fields.Add(new YamlEntry("virtio", YamlScalar.Of(virtio)));
        fields.Add(new YamlEntry("agent", YamlScalar.Of(agent)));
        if (previous?.Guest.ShutdownTime is { } shutdown)
        {
            fields.Add(new YamlEntry("shutdownTime", YamlScalar.Raw(Duration(shutdown))));
        }

        if (previous?.Guest.BootTime is { } boot)
        {
            fields.Add(new YamlEntry("bootTime", YamlScalar.Raw(Duration(boot))));
        }

        if (previous?.Guest.ShutdownTime is not null || previous?.Guest.BootTime is not null)
        {
            notes.Add("measured shutdown and boot times kept from the previous file");
        }

        return new YamlEntry("guest", new YamlMapping(fields, Flow: true), notes.Count > 0 ? string.Join("; ", notes) : null);
    }

    private static YamlEntry Volumes(string ns, JsonNode? spec, VmContext context, GuestRates? rates, Vm? previous)
    {
        var items = new List<YamlValue>();
        var notes = new List<string?>();
        var skipped = new List<string>();
        foreach (var volume in (spec?["volumes"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            var volumeName = Str(volume["name"]) ?? "";
            var claimName = Str(volume["persistentVolumeClaim"]?["claimName"]) ?? Str(volume["dataVolume"]?["name"]);
            if (claimName is null)
            {
                skipped.Add(volumeName);
                continue;
            }

            var fields = new List<YamlEntry> { new("name", YamlScalar.Of(volumeName)), new("claim", YamlScalar.Of(claimName)) };
            var note = new List<string>();
            if (context.Claims.GetValueOrDefault($"{ns}/{claimName}") is not { } claim)
            {
                fields.Add(new YamlEntry("size", YamlScalar.Raw("0")));
                items.Add(new YamlMapping(fields, Flow: true));
                notes.Add($"claim {ns}/{claimName} not found: set size, class and access mode");
                continue;
            }

            var size = Quantity(claim["status"]?["capacity"]?["storage"]) ?? Quantity(claim["spec"]?["resources"]?["requests"]?["storage"]) ?? 0;
            fields.Add(new YamlEntry("size", YamlScalar.Raw(Bytes((long)size))));
            if (Str(claim["spec"]?["storageClassName"]) is { Length: > 0 } storageClass)
            {
                fields.Add(new YamlEntry("storageClass", YamlScalar.Of(storageClass)));
            }

            if ((claim["status"]?["accessModes"] as JsonArray ?? claim["spec"]?["accessModes"] as JsonArray)?.Select(Str).FirstOrDefault() is { } mode)
            {
                fields.Add(new YamlEntry("accessMode", YamlScalar.Of(mode)));
            }

            if (Str(claim["spec"]?["volumeName"]) is { } pvName && context.PersistentVolumes.GetValueOrDefault(pvName) is { } pv &&
                Str(pv["spec"]?["persistentVolumeReclaimPolicy"]) is { } reclaim)
            {
                fields.Add(new YamlEntry("reclaimPolicy", YamlScalar.Of(reclaim)));
            }
            else
            {
                note.Add("no bound PersistentVolume readable: reclaim policy unknown");
            }

            if (rates?.WriteRates.GetValueOrDefault(volumeName) is { } writes and > 0)
            {
                fields.Add(new YamlEntry("writeRate", YamlScalar.Raw(Rate(writes))));
            }
            else if (previous?.Volumes.FirstOrDefault(v => v.Name == volumeName) is { WriteBytesPerSecond: > 0 } kept)
            {
                fields.Add(new YamlEntry("writeRate", YamlScalar.Raw(PlanValues.Bytes(kept.WriteBytesPerSecond))));
                note.Add("write rate kept from the previous file");
            }

            items.Add(new YamlMapping(fields, Flow: true));
            notes.Add(note.Count > 0 ? string.Join("; ", note) : null);
        }

        var comment = skipped.Count > 0 ? $"not listed, nothing to copy (no claim behind them): {string.Join(", ", skipped)}" : null;
        return new YamlEntry("volumes", new YamlSequence(items, Comments: notes), comment);
    }
}
