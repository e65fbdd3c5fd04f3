using System.Globalization;
using System.Text.Json.Nodes;
using Reconcile.Compiler.Model;

namespace Reconcile.Simulator.World;

/// <summary>
/// A VM's spec as KubeVirt shows it, built from the Inventory's description of the guest: what the
/// user wrote (CPU, memory, hugepages, disks, interfaces, networks, host devices, eviction strategy,
/// grace period) and what KubeVirt fills in and no Inventory lists (machine type, firmware identity).
/// </summary>
public static class VmSpecs
{
    /// <summary>The VM's template spec, which its VMI copies.</summary>
    public static JsonObject Spec(Vm vm, string firmwareUuid)
    {
        var cpu = new JsonObject { ["cores"] = vm.Cpu.Cores ?? 1, ["model"] = vm.Cpu.Model };
        if (vm.Cpu.Dedicated)
        {
            cpu["dedicatedCpuPlacement"] = true;
        }

        var memory = new JsonObject { ["guest"] = vm.MemoryBytes.ToString(CultureInfo.InvariantCulture) };
        if (vm.HugepagesBytes is { } pageSize)
        {
            memory["hugepages"] = new JsonObject { ["pageSize"] = Quantity(pageSize) };
        }

        // A guest without VirtIO drivers boots from emulated SATA disks and an e1000e NIC.
        var bus = vm.Guest.Virtio ? "virtio" : "sata";
        var devices = new JsonObject
        {
            ["disks"] = new JsonArray([.. vm.Volumes.Select(v => (JsonNode)new JsonObject { ["name"] = v.Name, ["disk"] = new JsonObject { ["bus"] = bus } })]),
            ["interfaces"] = new JsonArray([.. vm.Networks.Select(n =>
            {
                var nic = new JsonObject { ["name"] = n.Name, [n.Nad is null ? "masquerade" : "bridge"] = new JsonObject() };
                if (!vm.Guest.Virtio)
                {
                    nic["model"] = "e1000e";
                }

                return (JsonNode)nic;
            })]),
        };
        if (vm.HostDevices.Length > 0)
        {
            devices["hostDevices"] = new JsonArray([.. vm.HostDevices.Select((d, i) => (JsonNode)new JsonObject { ["name"] = $"hostdevice-{i}", ["deviceName"] = d })]);
        }

        // What KubeVirt fills in on a real VM: the machine type (virt-api's mutating webhook) and the
        // firmware identity (firmware.uuid is derived from the VM).
        var domain = new JsonObject
        {
            ["machine"] = new JsonObject { ["type"] = "pc-q35-rhel9.6.0" },
            ["firmware"] = new JsonObject { ["uuid"] = firmwareUuid, ["serial"] = $"serial-{vm.Name}" },
            ["cpu"] = cpu,
            ["memory"] = memory,
            ["devices"] = devices,
        };
        if (vm.Cpu.Limit is { } limit)
        {
            domain["resources"] = new JsonObject { ["limits"] = new JsonObject { ["cpu"] = limit } };
        }

        var spec = new JsonObject
        {
            ["domain"] = domain,
            ["networks"] = new JsonArray([.. vm.Networks.Select(n => (JsonNode)(n.Nad is { } nad
                ? new JsonObject { ["name"] = n.Name, ["multus"] = new JsonObject { ["networkName"] = nad } }
                : new JsonObject { ["name"] = n.Name, ["pod"] = new JsonObject() }))]),
            ["volumes"] = new JsonArray([.. vm.Volumes.Select(v => (JsonNode)new JsonObject
            {
                ["name"] = v.Name,
                ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = v.Claim ?? $"{vm.Name}-{v.Name}" },
            })]),
        };
        if (vm.EvictionStrategy is { } eviction)
        {
            spec["evictionStrategy"] = eviction;
        }

        if (vm.TerminationGracePeriod is { } grace)
        {
            spec["terminationGracePeriodSeconds"] = (long)grace.TotalSeconds;
        }

        return spec;
    }

    /// <summary>
    /// What qemu-guest-agent's guest-get-osinfo reports and virt-handler puts in status.guestOSInfo
    /// (VirtualMachineInstanceGuestOSInfo, staging/src/kubevirt.io/api/core/v1/types.go): Windows says
    /// id "mswindows", Linux the ID of its /etc/os-release.
    /// </summary>
    public static JsonObject? GuestOsInfo(Vm? vm) => vm?.Guest.Os switch
    {
        null => null,
        "windows" => new JsonObject { ["id"] = "mswindows", ["name"] = "Microsoft Windows Server 2022 Datacenter", ["version"] = "2022", ["kernelRelease"] = "20348" },
        "linux" => new JsonObject { ["id"] = "rhel", ["name"] = "Red Hat Enterprise Linux", ["prettyName"] = "Red Hat Enterprise Linux 9.6 (Plow)", ["version"] = "9.6", ["versionId"] = "9.6", ["kernelRelease"] = "5.14.0-570.el9.x86_64" },
        _ => new JsonObject { ["id"] = "freebsd", ["name"] = "FreeBSD", ["version"] = "14.2-RELEASE", ["kernelRelease"] = "14.2-RELEASE" },
    };

    /// <summary>A page size as a Kubernetes quantity (1Gi, 2Mi).</summary>
    private static string Quantity(long bytes) =>
        bytes % (1L << 30) == 0 ? $"{bytes >> 30}Gi" : bytes % (1L << 20) == 0 ? $"{bytes >> 20}Mi" : bytes.ToString(CultureInfo.InvariantCulture);
}
