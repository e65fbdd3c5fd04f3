using Reconcile.Compiler.Model;

namespace Reconcile.Simulator.KubeVirt;

/// <summary>
/// What the simulated cluster's declared KubeVirt release serves and admits, read from kubevirt/kubevirt
/// at the release tags (docs/simulator.md cites the paths). Written here on its own, not taken from the
/// compiler, so that a compiler that renders for the wrong release is refused.
/// </summary>
public sealed record KubeVirtRelease(Version Version, IReadOnlySet<string> Gates)
{
    /// <summary>A cluster that declares no release is simulated as the oldest one Reconcile supports.</summary>
    public static KubeVirtRelease Of(KubeVirtInstall install)
    {
        var version = install.Version ?? new Version(1, 6, 0);
        var gates = new HashSet<string>(install.FeatureGates, StringComparer.Ordinal);
        // From v1.10 DecentralizedLiveMigration is beta: on unless disabled (featuregate/active.go).
        if (version >= new Version(1, 10))
        {
            gates.Add("DecentralizedLiveMigration");
        }

        gates.ExceptWith(install.DisabledFeatureGates);
        return new KubeVirtRelease(version, gates);
    }

    /// <summary>export.kubevirt.io versions served: v1beta1 (beside v1alpha1) up to v1.8; v1 added in v1.9.0.</summary>
    public IReadOnlyList<string> ExportVersions => Version >= new Version(1, 9) ? ["v1beta1", "v1"] : ["v1beta1"];

    /// <summary>The version the export controller writes into its link paths (pkg/storage/export/export/links.go).</summary>
    public string ExportLinkVersion => ExportVersions[^1];

    public bool Decentralized => Version >= new Version(1, 6) && Gates.Contains("DecentralizedLiveMigration");

    /// <summary>VirtualMachineInstanceMigrationSpec.priority exists from v1.7.0.</summary>
    public bool HasMigrationPriority => Version >= new Version(1, 7);

    /// <summary>MigrationPolicySpec.maxDowntimeMs exists from v1.9.0.</summary>
    public bool HasPolicyMaxDowntime => Version >= new Version(1, 9);

    public bool StallDetection => Version >= new Version(1, 9) && Gates.Contains("MigrationStallDetection");
}
