using System.Globalization;

namespace Reconcile.Compiler.Facts;

/// <summary>The one timestamp format of every output (RFC 3339 in UTC, whole seconds), as Kubernetes writes them.</summary>
public static class Timestamps
{
    public static string Format(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
