using System.Diagnostics;
using LibGit2Sharp;

namespace Reconcile.Reconciler.Git;

/// <summary>The verdict on a commit's signature.</summary>
public sealed record Verification(bool Trusted, string Detail);

/// <summary>
/// Verifies a commit's SSH signature as git does (gpg.format=ssh): `ssh-keygen -Y find-principals`
/// names the signer from the allowed-signers file, `ssh-keygen -Y verify` checks the signature over
/// the commit's signed data in namespace "git". Unsigned commits, OpenPGP signatures (not supported
/// here) and signers not in the file are refused.
/// </summary>
public sealed class SignatureVerifier(string allowedSignersFile)
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

        if (!info.Signature.Contains("BEGIN SSH SIGNATURE", StringComparison.Ordinal))
        {
            return new Verification(false, $"commit {commitId[..12]} carries a signature that is not an SSH signature (OpenPGP is not supported)");
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

    private static (int Exit, string Out, string Error) SshKeygen(IEnumerable<string> arguments, string? input)
    {
        var start = new ProcessStartInfo("ssh-keygen") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("ssh-keygen could not be started");
        process.StandardInput.Write(input ?? "");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
