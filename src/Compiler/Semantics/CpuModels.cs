namespace Reconcile.Compiler.Semantics;

/// <summary>A named QEMU CPU model placed in its vendor's generation order.</summary>
public sealed record CpuGeneration(string Vendor, int Generation);

/// <summary>
/// Generation order of the QEMU CPU models KubeVirt nodes report (virsh cpu-models x86_64), so that
/// "N-1 at most" (seed S11) can be checked. Unknown names only match themselves.
/// </summary>
public static class CpuModels
{
    // Longest names first, so "Skylake-Server" wins over a shorter prefix.
    private static readonly KeyValuePair<string, CpuGeneration>[] Known = [.. Build().OrderByDescending(k => k.Key.Length).ThenBy(k => k.Key, StringComparer.Ordinal)];

    public static CpuGeneration? Lookup(string model)
    {
        // Variants such as Cascadelake-Server-noTSX or Skylake-Server-IBRS share their base generation.
        foreach (var (name, generation) in Known)
        {
            if (model.Equals(name, StringComparison.OrdinalIgnoreCase) || model.StartsWith(name + "-", StringComparison.OrdinalIgnoreCase))
            {
                return generation;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a VM that needs <paramref name="required"/> can run on a node with <paramref name="offered"/>:
    /// same vendor, the node not older, and at most <paramref name="maxGap"/> generations newer.
    /// Unknown models must match by name.
    /// </summary>
    public static bool Compatible(string required, string offered, int maxGap)
    {
        if (required.Equals(offered, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (Lookup(required) is not { } need || Lookup(offered) is not { } have || need.Vendor != have.Vendor)
        {
            return false;
        }

        var gap = have.Generation - need.Generation;
        return gap >= 0 && gap <= maxGap;
    }

    private static Dictionary<string, CpuGeneration> Build()
    {
        var table = new Dictionary<string, CpuGeneration>(StringComparer.OrdinalIgnoreCase);
        string[] intel = ["Nehalem", "Westmere", "SandyBridge", "IvyBridge", "Haswell", "Broadwell", "Skylake-Server", "Cascadelake-Server", "Icelake-Server", "SapphireRapids", "GraniteRapids"];
        for (var i = 0; i < intel.Length; i++)
        {
            table[intel[i]] = new CpuGeneration("intel", i);
        }

        // Client parts and Cooperlake slot in beside their server siblings.
        table["Skylake-Client"] = table["Skylake-Server"];
        table["Cooperlake"] = table["Cascadelake-Server"];
        table["Icelake-Client"] = table["Icelake-Server"];
        string[] amd = ["Opteron_G1", "Opteron_G2", "Opteron_G3", "Opteron_G4", "Opteron_G5", "EPYC", "EPYC-Rome", "EPYC-Milan", "EPYC-Genoa", "EPYC-Turin"];
        for (var i = 0; i < amd.Length; i++)
        {
            table[amd[i]] = new CpuGeneration("amd", i);
        }

        return table;
    }
}
