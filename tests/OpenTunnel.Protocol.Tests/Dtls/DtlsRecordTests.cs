using OpenTunnel.Protocol.Dtls;
using OpenTunnel.Testing.Dtls;

namespace OpenTunnel.Protocol.Tests.Dtls;

[Trait("Category", "Unit")]
public sealed class DtlsRecordTests
{
    [Fact]
    public void TryReadClientHelloSessionId_RealClientHello_ReadsTheResumedId()
    {
        var id = DtlsSessionId.NewRandom();
        byte[] hello = InMemoryDatagramTransport.CaptureClientHello(id);

        Assert.True(DtlsRecord.TryReadClientHelloSessionId(hello, out var read));
        Assert.Equal(id, read);
        // Where PROTOCOL §4a says it is: the length byte at offset 59, the id right after.
        Assert.Equal(32, hello[DtlsRecord.ClientHelloSessionIdOffset]);
        Assert.Equal(id.ToArray(), hello.AsSpan(DtlsRecord.ClientHelloSessionIdOffset + 1, 32).ToArray());
    }

    [Fact]
    public void TryReadClientHelloSessionId_EveryTruncation_RefusedWithoutThrowing()
    {
        byte[] hello = InMemoryDatagramTransport.CaptureClientHello(DtlsSessionId.NewRandom());

        for (int length = 0; length < DtlsRecord.ClientHelloSessionIdOffset + 1 + 32; length++)
        {
            Assert.False(DtlsRecord.TryReadClientHelloSessionId(hello.AsSpan(0, length), out _));
        }
    }

    [Theory]
    [InlineData(0, 23)] // application data, not handshake
    [InlineData(1, 0x03)] // TLS version, not DTLS
    [InlineData(4, 1)] // epoch 1
    [InlineData(13, 2)] // server_hello
    [InlineData(21, 1)] // a later fragment (fragment_offset != 0)
    [InlineData(59, 16)] // session id of 16 bytes
    [InlineData(11, 0xFF)] // record length beyond the datagram
    public void TryReadClientHelloSessionId_AlteredField_Refused(int offset, byte value)
    {
        byte[] hello = InMemoryDatagramTransport.CaptureClientHello(DtlsSessionId.NewRandom());
        hello[offset] = value;

        Assert.False(DtlsRecord.TryReadClientHelloSessionId(hello, out _));
    }

    [Fact]
    public void TryReadHeader_LengthBeyondDatagram_ReturnsFalse()
    {
        byte[] record = [23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 5, 0, 10, 1, 2, 3];

        Assert.False(DtlsRecord.TryReadHeader(record, out _, out _, out _, out _));
    }

    [Fact]
    public void TryReadHeader_WholeRecord_ReadsEveryField()
    {
        byte[] record = [23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 1, 2, 0, 3, 9, 9, 9];

        Assert.True(DtlsRecord.TryReadHeader(record, out byte type, out ushort epoch, out ulong sequence, out int length));
        Assert.Equal(23, type);
        Assert.Equal(1, epoch);
        Assert.Equal(0x0102UL, sequence);
        Assert.Equal(3, length);
    }
}
