namespace OpenTunnel.Client.Posture;

/// <summary>Where the posture is read from; the defaults are this machine's own files and nft.</summary>
public sealed record PostureSources
{
    /// <summary>os-release(5): the first of these that exists.</summary>
    public IReadOnlyList<string> OsReleaseFiles { get; init; } = ["/etc/os-release", "/usr/lib/os-release"];

    /// <summary>Debian's point release ("12.11"), which os-release leaves out.</summary>
    public string DebianVersionFile { get; init; } = "/etc/debian_version";

    public string MountInfoFile { get; init; } = "/proc/self/mountinfo";

    public string HostNameFile { get; init; } = "/proc/sys/kernel/hostname";

    public IBlockDevices BlockDevices { get; init; } = new SysfsBlockDevices();

    /// <summary>The command that prints the ruleset as JSON; its first element is looked up on the PATH.</summary>
    public IReadOnlyList<string> NftCommand { get; init; } = ["nft", "-j", "list", "ruleset"];
}
