using Tmds.Linux;

namespace Reconcile.Compiler.Loading;

/// <summary>What a directory entry is, without following it (lstat) unless asked.</summary>
public enum EntryKind
{
    Missing,
    Regular,
    Directory,
    SymbolicLink,
    /// <summary>A FIFO, a device, a socket: reading it can block forever or never end.</summary>
    Special,
}

/// <summary>
/// Tells regular files from the rest before anything is opened: .NET reports a FIFO or /dev/zero as
/// an ordinary file of length 0, and opening a FIFO blocks until someone writes to it. On Linux the
/// answer comes from lstat/stat (Tmds.LibC); elsewhere from what .NET knows (links and directories).
/// </summary>
public static class FileKinds
{
    public static EntryKind Of(string path, bool followLinks = false) =>
        OperatingSystem.IsLinux() ? OfLinux(path, followLinks) : OfPortable(path, followLinks);

    private static unsafe EntryKind OfLinux(string path, bool followLinks)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        stat status;
        int result;
        fixed (byte* name = bytes)
        {
            result = followLinks ? LibC.stat(name, &status) : LibC.lstat(name, &status);
        }

        if (result != 0)
        {
            return EntryKind.Missing;
        }

        var mode = status.st_mode;
        return LibC.S_ISREG(mode) ? EntryKind.Regular
            : LibC.S_ISDIR(mode) ? EntryKind.Directory
            : LibC.S_ISLNK(mode) ? EntryKind.SymbolicLink
            : EntryKind.Special;
    }

    private static EntryKind OfPortable(string path, bool followLinks)
    {
        var info = new FileInfo(path);
        if (!followLinks && info.LinkTarget is not null)
        {
            return EntryKind.SymbolicLink;
        }

        return Directory.Exists(path) ? EntryKind.Directory : File.Exists(path) ? EntryKind.Regular : EntryKind.Missing;
    }
}
