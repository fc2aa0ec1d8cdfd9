using OpenTunnel.Client.Posture;
using OpenTunnel.Identity.Contracts.Devices;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.Posture;

/// <summary>The collector over files laid out as the machine's (in a temporary directory) and a real child process in place of nft.</summary>
[Trait("Category", "Unit")]
public sealed class PostureCollectorTests : IDisposable
{
    private readonly TemporaryDirectory _root = new();

    public PostureCollectorTests()
    {
        File.WriteAllText(_root.File("os-release"), "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n");
        File.WriteAllText(_root.File("debian_version"), "12.11\n");
        File.WriteAllText(_root.File("hostname"), "laptop-7\n");
        File.WriteAllText(_root.File("mountinfo"), "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n");
        Directory.CreateDirectory(Path.Combine(_root.Path, "sys", "dev", "block", "254:0"));
    }

    [Fact]
    public async Task CollectAsync_Files_NameVersionAndPlainDisk()
    {
        DevicePosture posture = await Collector(["sh", "-c", "echo '{\"nftables\": []}'"]).CollectAsync(CancellationToken.None);

        Assert.Equal(("laptop-7", "Debian GNU/Linux", "12.11"), (posture.Name, posture.OsName, posture.OsVersion));
        Assert.False(posture.DiskEncryption.Value);
        Assert.False(posture.Firewall.Value);
        Assert.Null(posture.ScreenLock.Value);
        Assert.Equal(new DeviceEnrolmentRequest("laptop-7", "Linux", "12.11", DiskEncrypted: false, FirewallEnabled: false, ScreenLockEnabled: null), posture.Request());
    }

    [Fact]
    public async Task CollectAsync_NftMissing_FirewallUnknownNamingThePackage()
    {
        DevicePosture posture = await Collector(["/nonexistent/nft", "-j", "list", "ruleset"]).CollectAsync(CancellationToken.None);

        Assert.Null(posture.Firewall.Value);
        Assert.Contains("is not installed (Debian package nftables)", posture.Firewall.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CollectAsync_NftFails_FirewallUnknownWithItsMessage()
    {
        DevicePosture posture = await Collector(["sh", "-c", "echo 'Operation not permitted' >&2; exit 1"]).CollectAsync(CancellationToken.None);

        Assert.Null(posture.Firewall.Value);
        Assert.Contains("failed: Operation not permitted", posture.Firewall.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CollectAsync_FilesMissing_UnknownsInsteadOfGuesses()
    {
        var sources = new PostureSources
        {
            OsReleaseFiles = [_root.File("none")],
            DebianVersionFile = _root.File("none"),
            MountInfoFile = _root.File("none"),
            HostNameFile = _root.File("hostname"),
            NftCommand = ["sh", "-c", "echo '{\"nftables\": []}'"],
        };

        DevicePosture posture = await new PostureCollector(sources).CollectAsync(CancellationToken.None);

        Assert.Equal(("Linux", "unknown"), (posture.OsName, posture.OsVersion));
        Assert.Null(posture.DiskEncryption.Value);
        Assert.Contains("cannot be read", posture.DiskEncryption.Evidence, StringComparison.Ordinal);
    }

    public void Dispose() => _root.Dispose();

    private PostureCollector Collector(IReadOnlyList<string> nft) => new(new PostureSources
    {
        OsReleaseFiles = [_root.File("os-release")],
        DebianVersionFile = _root.File("debian_version"),
        MountInfoFile = _root.File("mountinfo"),
        HostNameFile = _root.File("hostname"),
        BlockDevices = new SysfsBlockDevices(Path.Combine(_root.Path, "sys")),
        NftCommand = nft,
    });
}
