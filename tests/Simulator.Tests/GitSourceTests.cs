using Reconcile.Reconciler.Git;

namespace Reconcile.Simulator.Tests;

/// <summary>The Git source against a real `git daemon` on 127.0.0.1.</summary>
public sealed class GitSourceTests
{
    [Fact]
    public void Follows_a_branch_through_new_commits_force_pushes_an_outage_and_a_corrupt_cache()
    {
        using var server = new GitServer();
        server.CopyExample("node-drain");
        var first = server.Commit("first");
        var cache = Path.Combine(server.Scratch, "cache");
        var source = new GitSource(new GitSourceOptions(server.Url, cache));

        Assert.Equal(new FetchResult(first, true, null), source.Fetch());
        Assert.Equal(new FetchResult(first, false, null), source.Fetch());
        var second = server.Commit("second");
        Assert.Equal(new FetchResult(second, true, null), source.Fetch());

        // A force-push back to the first commit moves the tracked tip back.
        server.Git(server.Work, "reset", "-q", "--hard", first);
        server.Git(server.Work, "push", "-q", "-f", "origin", "HEAD:main");
        Assert.Equal(first, source.Fetch().Revision);

        // The remote goes away: the last good revision stays in force, and the result says why.
        server.Stop();
        var outage = source.Fetch();
        Assert.True(outage.Unreachable);
        Assert.Equal(first, outage.Revision);
        Assert.Contains("cannot fetch", outage.Problem);
        server.Start();

        // A damaged cache is cloned again.
        foreach (var file in Directory.EnumerateFiles(Path.Combine(cache, "objects"), "*", SearchOption.AllDirectories))
        {
            File.SetAttributes(file, FileAttributes.Normal);
            File.WriteAllText(file, "garbage");
        }

        File.WriteAllText(Path.Combine(cache, "HEAD"), "garbage");
        var third = server.Commit("third");
        Assert.Equal(new FetchResult(third, true, null), source.Fetch());

        // The plan files at that revision, read without a checkout.
        var (files, missing) = RevisionFiles.Read(cache, third, ["plans/node-drain"]);
        Assert.Empty(missing);
        Assert.Equal(["plans/node-drain/inventory.yaml", "plans/node-drain/plan.yaml", "plans/node-drain/topology.yaml"], files.Select(f => f.DisplayPath));
    }

    [Fact]
    public void Tracks_a_tag_or_a_pinned_commit()
    {
        using var server = new GitServer();
        server.CopyExample("node-drain");
        var tagged = server.Commit("release");
        server.Git(server.Work, "tag", "v1");
        server.Git(server.Work, "push", "-q", "origin", "v1");
        server.Commit("after the tag");
        Assert.Equal(tagged, new GitSource(new GitSourceOptions(server.Url, Path.Combine(server.Scratch, "c1"), Branch: null, Tag: "v1")).Fetch().Revision);
        Assert.Equal(tagged, new GitSource(new GitSourceOptions(server.Url, Path.Combine(server.Scratch, "c2"), Branch: null, Commit: tagged)).Fetch().Revision);
        Assert.Contains("tag v9 not found", new GitSource(new GitSourceOptions(server.Url, Path.Combine(server.Scratch, "c3"), Branch: null, Tag: "v9")).Fetch().Problem);
    }

    [Fact]
    public void With_allowed_signers_only_commits_signed_by_them_are_taken()
    {
        using var server = new GitServer();
        var key = server.SigningKey("trusted");
        var stranger = server.SigningKey("stranger");
        var signers = Path.Combine(server.Scratch, "allowed_signers");
        File.WriteAllText(signers, $"planner@example.net namespaces=\"git\" {File.ReadAllText(key + ".pub").Trim()}\n");
        var source = new GitSource(new GitSourceOptions(server.Url, Path.Combine(server.Scratch, "cache"), AllowedSigners: signers));

        server.CopyExample("node-drain");
        var signed = server.Commit("signed", "-S", $"--gpg-sign={key}.pub");
        var accepted = source.Fetch();
        Assert.Equal((signed, (string?)null), (accepted.Revision, accepted.Problem));

        var unsigned = server.Commit("unsigned", "--no-gpg-sign");
        var refused = source.Fetch();
        Assert.Equal(signed, refused.Revision);
        Assert.Contains($"refused {unsigned[..12]}", refused.Problem);
        Assert.Contains("is not signed", refused.Problem);

        server.Commit("signed by a stranger", "-S", $"--gpg-sign={stranger}.pub");
        var strangerResult = source.Fetch();
        Assert.Equal(signed, strangerResult.Revision);
        Assert.Contains("not in allowed_signers", strangerResult.Problem);

        var resigned = server.Commit("signed again", "-S", $"--gpg-sign={key}.pub");
        Assert.Equal(resigned, source.Fetch().Revision);
    }

    [SkippableFact]
    public void With_trusted_OpenPGP_keys_only_commits_signed_by_them_are_taken()
    {
        Skip.If(OperatingSystem.IsWindows(), "the gpg wrapper is a shell script");
        ExternalTools.Require(ExternalTools.Find("/usr/bin/gpg"), "gpg not installed: run .ci/install-tools (CI does)");
        using var server = new GitServer();
        string NewKey(string home, string uid)
        {
            Directory.CreateDirectory(home);
            var env = new Dictionary<string, string> { ["GNUPGHOME"] = home };
            Gpg(env, "--batch", "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never");
            var wrapper = Path.Combine(home, "gpg.sh");
            File.WriteAllText(wrapper, $"#!/bin/sh\nGNUPGHOME='{home}' exec gpg \"$@\"\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            return wrapper;
        }

        var trustedHome = Path.Combine(server.Scratch, "gpg-trusted");
        var strangerHome = Path.Combine(server.Scratch, "gpg-stranger");
        var trusted = NewKey(trustedHome, "Planner <planner@example.net>");
        var stranger = NewKey(strangerHome, "Stranger <stranger@example.net>");
        var keys = Path.Combine(server.Scratch, "trusted.asc");
        File.WriteAllText(keys, Gpg(new Dictionary<string, string> { ["GNUPGHOME"] = trustedHome }, "--armor", "--export"));
        var source = new GitSource(new GitSourceOptions(server.Url, Path.Combine(server.Scratch, "cache"), TrustedPgpKeys: keys));

        server.CopyExample("node-drain");
        server.Git(server.Work, "add", "-A");
        server.Git(server.Work, "-c", $"gpg.program={trusted}", "commit", "-q", "-m", "signed with OpenPGP", "-S");
        server.Git(server.Work, "push", "-q", "-f", "origin", "HEAD:main");
        var good = server.Git(server.Work, "rev-parse", "HEAD").Trim();
        var accepted = source.Fetch();
        Assert.True(accepted.Problem is null, accepted.Problem);
        Assert.Equal(good, accepted.Revision);

        server.Git(server.Work, "-c", $"gpg.program={stranger}", "commit", "-q", "--allow-empty", "-m", "by a stranger", "--gpg-sign=stranger@example.net");
        server.Git(server.Work, "push", "-q", "origin", "HEAD:main");
        var refused = source.Fetch();
        Assert.Equal(good, refused.Revision);
        Assert.Contains("OpenPGP signature does not verify", refused.Problem);
    }

    private static string Gpg(IReadOnlyDictionary<string, string> env, params string[] args) => ExternalTools.Succeed("gpg", args, environment: env);
}
