namespace OpenTunnel.Bench;

/// <summary>
/// The temporary folder of one run (certificate, server configurations, client script). It is
/// world-traversable (0755) because ocserv's workers drop to an unprivileged user and must reach
/// the sec-mod socket inside it; the private key inside stays 0600.
/// </summary>
internal sealed class WorkFolder : IDisposable
{
    private WorkFolder(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public static WorkFolder Create(string prefix)
    {
        // The PID in the name lets bench/run find and remove the folder even when this process was killed outright.
        var info = Directory.CreateTempSubdirectory($"{prefix}{Environment.ProcessId}.");
        File.SetUnixFileMode(info.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return new WorkFolder(info.FullName);
    }

    /// <summary>A sub-folder, created with the same permissions.</summary>
    public string Sub(string name)
    {
        string path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
