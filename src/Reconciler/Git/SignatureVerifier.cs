using System.Diagnostics;
using LibGit2Sharp;

namespace Reconcile.Reconciler.Git;

/// <summary>The verdict on a commit's signature.</summary>
public sealed record Verification(bool Trusted, string Detail);

/// <summary>
/// Verifies a commit's signature as git does. SSH signatures (gpg.format=ssh): `ssh-keygen -Y
/// find-principals` names the signer from the allowed-signers file, `ssh-keygen -Y verify` checks
/// the signature over the commit's signed data in namespace "git". OpenPGP signatures: gpg, in a
/// throw-away home holding only the trusted public keys, must report a good signature (VALIDSIG).
/// Unsigned commits, and signers not in the file or keyring, are refused.
/// </summary>
public sealed class SignatureVerifier(string? allowedSignersFile, string? trustedPgpKeys = null)
{
    public Verification Verify(Repository repository, string commitId)
    {
        SignatureInfo info;
        try
        {
            info = Commit.ExtractSignature(repository, new ObjectId(commitId));
        }
        catch (NotFoundException)
        {
            return new Verification(false, $"commit {commitId[..12]} is not signed");
        }

        if (info.Signature.Contains("BEGIN PGP SIGNATURE", StringComparison.Ordinal))
        {
            return VerifyPgp(commitId, info);
        }

        if (!info.Signature.Contains("BEGIN SSH SIGNATURE", StringComparison.Ordinal))
        {
            return new Verification(false, $"commit {commitId[..12]} carries a signature of a kind Reconcile does not verify");
        }

        if (allowedSignersFile is null)
        {
            return new Verification(false, $"commit {commitId[..12]} has an SSH signature and no allowed signers were given (--allowed-signers)");
        }

        var dir = Directory.CreateTempSubdirectory("reconcile-verify-");
        try
        {
            var signature = Path.Combine(dir.FullName, "commit.sig");
            File.WriteAllText(signature, info.Signature);
            var (found, principals, findError) = SshKeygen(["-Y", "find-principals", "-f", allowedSignersFile, "-s", signature], null);
            var principal = principals.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            if (found != 0 || principal is null)
            {
                return new Verification(false, $"commit {commitId[..12]} is signed by a key not in {Path.GetFileName(allowedSignersFile)}{(findError.Length > 0 ? ": " + findError.Trim() : "")}");
            }

            var (verified, output, error) = SshKeygen(["-Y", "verify", "-f", allowedSignersFile, "-I", principal, "-n", "git", "-s", signature], info.SignedData);
            return verified == 0
                ? new Verification(true, $"commit {commitId[..12]} signed by {principal}: {output.Trim()}")
                : new Verification(false, $"commit {commitId[..12]}: signature does not verify for {principal}: {(error + output).Trim()}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private Verification VerifyPgp(string commitId, SignatureInfo info)
    {
        if (trustedPgpKeys is null)
        {
            return new Verification(false, $"commit {commitId[..12]} has an OpenPGP signature and no trusted OpenPGP keys were given (--trusted-pgp-keys)");
        }

        var home = Directory.CreateTempSubdirectory("reconcile-gpg-");
        try
        {
            var env = new Dictionary<string, string> { ["GNUPGHOME"] = home.FullName };
            var (imported, _, importError) = Run("gpg", ["--batch", "--quiet", "--import", trustedPgpKeys], null, env);
            if (imported != 0)
            {
                return new Verification(false, $"cannot read the trusted OpenPGP keys: {importError.Trim()}");
            }

            var signature = Path.Combine(home.FullName, "commit.sig");
            var data = Path.Combine(home.FullName, "commit.data");
            File.WriteAllText(signature, info.Signature);
            File.WriteAllText(data, info.SignedData);
            var (exit, status, _) = Run("gpg", ["--batch", "--status-fd", "1", "--verify", signature, data], null, env);
            var valid = status.Split('\n').FirstOrDefault(l => l.StartsWith("[GNUPG:] VALIDSIG ", StringComparison.Ordinal));
            var signer = status.Split('\n').FirstOrDefault(l => l.StartsWith("[GNUPG:] GOODSIG ", StringComparison.Ordinal))?["[GNUPG:] GOODSIG ".Length..].Split(' ', 2);
            return exit == 0 && valid is not null
                ? new Verification(true, $"commit {commitId[..12]} signed by {(signer is { Length: 2 } ? signer[1] : valid.Split(' ')[2])} (OpenPGP)")
                : new Verification(false, $"commit {commitId[..12]}: OpenPGP signature does not verify against the trusted keys");
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    private static (int Exit, string Out, string Error) SshKeygen(IEnumerable<string> arguments, string? input) => Run("ssh-keygen", arguments, input, null);

    private static (int Exit, string Out, string Error) Run(string program, IEnumerable<string> arguments, string? input, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} could not be started");
        process.StandardInput.Write(input ?? "");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
