using System.Security.Cryptography;
using System.Text;

namespace Reconcile.Compiler.Rendering;

/// <summary>
/// Stable object names from plan, move and step ids, within Kubernetes' rules: lowercase RFC 1123,
/// at most 63 characters (also a valid label value). A name that would be longer keeps a readable
/// prefix and ends in 8 hex digits of its SHA-256, so different inputs stay different.
/// </summary>
public static class KubernetesName
{
    public const int MaxLength = 63;

    public static string Of(params string[] parts)
    {
        var joined = string.Join("-", parts.Where(p => p.Length > 0)).ToLowerInvariant();
        var clean = new StringBuilder(joined.Length);
        foreach (var c in joined)
        {
            clean.Append(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-' ? c : '-');
        }

        var name = clean.ToString().Trim('-');
        if (name == joined && name.Length is > 0 and <= MaxLength)
        {
            return name;
        }

        // Shortened or changed: a hash of the original keeps distinct inputs distinct.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(joined)))[..8];
        var prefix = name.Length > MaxLength - 9 ? name[..(MaxLength - 9)].TrimEnd('-') : name;
        return $"{prefix}-{hash}";
    }
}
