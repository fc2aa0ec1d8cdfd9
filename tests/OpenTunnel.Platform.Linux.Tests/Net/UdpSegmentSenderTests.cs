using OpenTunnel.Platform.Linux.Net;

namespace OpenTunnel.Platform.Linux.Tests.Net;

[Trait("Category", "Unit")]
public sealed class UdpSegmentSenderTests
{
    [Theory]
    [InlineData(0, 0, 0, 1400, true)] // an empty run takes the first datagram
    [InlineData(0, 0, 0, UdpSegmentSender.MaxBytes + 1, false)] // too long for any run
    [InlineData(3, 4200, 1400, 1400, true)] // the same size
    [InlineData(3, 4200, 1400, 900, true)] // a shorter one may end the run
    [InlineData(4, 5100, 1400, 1400, false)] // nothing after a shorter one
    [InlineData(3, 4200, 1400, 1401, false)] // longer than the run's
    [InlineData(UdpSegmentSender.MaxSegments, UdpSegmentSender.MaxSegments * 100, 100, 100, false)] // full by count
    [InlineData(46, 46 * 1400, 1400, 1400, false)] // full by bytes: 47 x 1400 > 65,000
    public void CanJoin_OnlyWhereTheKernelCutsTheRunBackIntoTheSameDatagrams(int count, int runLength, int segmentSize, int length, bool expected)
    {
        Assert.Equal(expected, UdpSegmentSender.CanJoin(count, runLength, segmentSize, length));
    }
}
