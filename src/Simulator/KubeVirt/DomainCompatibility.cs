using System.Text.Json.Nodes;

namespace Reconcile.Simulator.KubeVirt;

/// <summary>
/// What must be equal between the migrating VMI and the receiver VMI for libvirt to resume the guest on
/// the target: the machine type, the firmware identity (the guest sees its UUID and serial), the CPU
/// model, the guest memory, and the disks and interfaces by name (with their MAC addresses). A receiver
/// rebuilt from an inventory instead of the source VM loses these, and the migration fails.
/// </summary>
public static class DomainCompatibility
{
    public static string? Mismatch(JsonNode? source, JsonNode? receiver)
    {
        foreach (var path in new[] { "machine.type", "firmware.uuid", "firmware.serial", "firmware.bootloader", "cpu.model", "memory.guest" })
        {
            var (a, b) = (At(source, path), At(receiver, path));
            if (!JsonNode.DeepEquals(a, b))
            {
                return $"domain.{path} is {Text(b)} on the target and {Text(a)} on the source";
            }
        }

        foreach (var (devices, key) in new[] { ("disks", "name"), ("interfaces", "name") })
        {
            var (a, b) = (Devices(source, devices), Devices(receiver, devices));
            if (!a.SequenceEqual(b))
            {
                return $"domain.devices.{devices} are [{string.Join(", ", b)}] on the target and [{string.Join(", ", a)}] on the source";
            }
        }

        return null;
    }

    private static JsonNode? At(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            node = node?[part];
        }

        return node;
    }

    private static string Text(JsonNode? node) => node is null ? "unset" : node.ToJsonString();

    private static List<string> Devices(JsonNode? domain, string kind) =>
        [.. (domain?["devices"]?[kind]?.AsArray() ?? []).Select(d => $"{d?["name"]}{(d?["macAddress"] is { } mac ? "@" + mac : "")}").Order(StringComparer.Ordinal)];
}
