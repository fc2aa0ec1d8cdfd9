using OpenTunnel.Client.Posture;

namespace OpenTunnel.Client.Tests.Posture;

[Trait("Category", "Unit")]
public sealed class MountInfoTests
{
    private const string Sample = """
        21 26 0:20 / /proc rw,relatime - proc proc rw
        26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard
        27 26 0:24 / /mnt/with\040space ro,nosuid - tmpfs model\040tools ro,size=4k
        """;

    [Fact]
    public void Find_Root_ReturnsDeviceNumberTypeAndSource()
    {
        Mount root = MountInfo.Find(Sample, "/")!;

        Assert.Equal((254, 0, "254:0"), (root.Major, root.Minor, root.DeviceNumber));
        Assert.Equal(("ext4", "/dev/vda"), (root.FileSystem, root.Source));
    }

    [Fact]
    public void Find_OctalEscapes_AreDecoded()
    {
        Mount mount = MountInfo.Find(Sample, "/mnt/with space")!;

        Assert.Equal("model tools", mount.Source);
    }

    [Fact]
    public void Find_RootMountedTwice_LaterMountWins()
    {
        string text = Sample + "\n40 26 253:3 / / rw - btrfs /dev/mapper/root rw\n";

        Assert.Equal("253:3", MountInfo.Find(text, "/")!.DeviceNumber);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("26 1 x:0 / / rw - ext4 /dev/vda rw")]
    [InlineData("26 1 254:0 / / rw ext4 /dev/vda rw")]
    public void Parse_BadLine_ReturnsNull(string line)
    {
        Assert.Null(MountInfo.Parse(line));
    }

    [Fact]
    public void Find_NothingOnMountPoint_ReturnsNull()
    {
        Assert.Null(MountInfo.Find(Sample, "/home"));
    }
}
