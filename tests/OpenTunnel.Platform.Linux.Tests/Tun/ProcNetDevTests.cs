using OpenTunnel.Platform.Linux.Tun;

namespace OpenTunnel.Platform.Linux.Tests.Tun;

[Trait("Category", "Unit")]
public sealed class ProcNetDevTests
{
    // As Linux 6.x prints it: names right-aligned to six characters, longer ones as they are.
    private const string Table = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo:  187656  3197    0    0    0     0          0         0   187656    3197    0    0    0     0       0          0
        otun0: 2867856   47700    0    1    0     0          0         0  2857960   47534    0  170    0     0       0          0
        ot6661av0: 10 2 0 0 0 0 0 0 20 4 0 9 0 0 0 0
        """;

    [Theory]
    [InlineData("otun0", 170)]
    [InlineData("lo", 0)]
    [InlineData("ot6661av0", 9)]
    public void TryReadTransmitDropped_DeviceInTable_ReturnsItsTransmitDropField(string device, long expected)
    {
        Assert.True(ProcNetDev.TryReadTransmitDropped(Table, device, out long dropped));
        Assert.Equal(expected, dropped);
    }

    [Fact]
    public void TryReadTransmitDropped_DeviceNotInTable_ReturnsFalse()
    {
        // "tun0" is a suffix of no listed name and must not match "otun0".
        Assert.False(ProcNetDev.TryReadTransmitDropped(Table, "tun0", out _));
    }

    [Fact]
    public void TryReadTransmitDropped_LineCutShort_ReturnsFalse()
    {
        Assert.False(ProcNetDev.TryReadTransmitDropped("  eth0: 1 2 3 4 5 6 7 8 9 10 11\n", "eth0", out _));
    }
}
