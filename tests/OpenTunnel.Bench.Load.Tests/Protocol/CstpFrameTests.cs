using OpenTunnel.Bench.Load.Protocol;

namespace OpenTunnel.Bench.Load.Tests.Protocol;

[Trait("Category", "Unit")]
public sealed class CstpFrameTests
{
    [Fact]
    public void WriteHeader_DpdRequest_MatchesOpenConnectBytes()
    {
        byte[] header = new byte[CstpFrame.HeaderLength];

        CstpFrame.WriteHeader(header, CstpType.DpdRequest, 0x0102);

        Assert.Equal(new byte[] { (byte)'S', (byte)'T', (byte)'F', 0x01, 0x01, 0x02, 0x03, 0x00 }, header);
    }

    [Fact]
    public void TryReadHeader_WrittenHeader_ReturnsTypeAndLength()
    {
        byte[] header = new byte[CstpFrame.HeaderLength];
        CstpFrame.WriteHeader(header, CstpType.Keepalive, 1400);

        bool ok = CstpFrame.TryReadHeader(header, out var type, out int length);

        Assert.True(ok);
        Assert.Equal(CstpType.Keepalive, type);
        Assert.Equal(1400, length);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'S', (byte)'T', (byte)'G', 0x01, 0, 0, 7, 0 })]
    [InlineData(new byte[] { (byte)'S', (byte)'T', (byte)'F', 0x02, 0, 0, 7, 0 })]
    [InlineData(new byte[] { (byte)'S', (byte)'T', (byte)'F' })]
    public void TryReadHeader_BadMagicVersionOrLength_ReturnsFalse(byte[] header)
    {
        Assert.False(CstpFrame.TryReadHeader(header, out _, out _));
    }

    [Fact]
    public void WriteHeader_PayloadLongerThanLengthField_Throws()
    {
        byte[] header = new byte[CstpFrame.HeaderLength];

        Assert.Throws<ArgumentOutOfRangeException>(() => CstpFrame.WriteHeader(header, CstpType.Data, CstpFrame.MaxPayloadLength + 1));
    }
}
