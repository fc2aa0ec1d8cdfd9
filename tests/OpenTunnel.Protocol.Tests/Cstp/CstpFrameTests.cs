using OpenTunnel.Protocol.Cstp;

namespace OpenTunnel.Protocol.Tests.Cstp;

[Trait("Category", "Unit")]
public sealed class CstpFrameTests
{
    [Fact]
    public void WriteHeader_DataFrame_WritesMagicLengthAndType()
    {
        byte[] header = new byte[8];

        CstpFrame.WriteHeader(header, CstpPacketType.Data, 1400);

        Assert.Equal(new byte[] { 0x53, 0x54, 0x46, 0x01, 0x05, 0x78, 0x00, 0x00 }, header);
    }

    [Fact]
    public void TryReadHeader_WrittenHeader_ReadsTypeAndLengthBack()
    {
        byte[] header = new byte[8];
        CstpFrame.WriteHeader(header, CstpPacketType.DpdRequest, 65535);

        var status = CstpFrame.TryReadHeader(header, out var type, out int length);

        Assert.Equal(CstpHeaderStatus.Complete, status);
        Assert.Equal(CstpPacketType.DpdRequest, type);
        Assert.Equal(65535, length);
    }

    [Fact]
    public void TryReadHeader_SevenBytes_IsIncomplete()
    {
        Assert.Equal(CstpHeaderStatus.Incomplete, CstpFrame.TryReadHeader(new byte[] { 0x53, 0x54, 0x46, 0x01, 0, 0, 7 }, out _, out _));
    }

    [Fact]
    public void TryReadHeader_WrongMagic_IsBadMagic()
    {
        byte[] header = [0x53, 0x54, 0x46, 0x02, 0, 0, 0, 0];

        Assert.Equal(CstpHeaderStatus.BadMagic, CstpFrame.TryReadHeader(header, out _, out _));
    }

    [Fact]
    public void WriteHeader_PayloadOverSixteenBits_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CstpFrame.WriteHeader(new byte[8], CstpPacketType.Data, 65536));
    }
}
