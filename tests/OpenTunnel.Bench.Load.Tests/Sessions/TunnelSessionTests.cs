using System.Net;
using OpenTunnel.Bench.Load.Sessions;
using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Bench.Load.Tests.Sessions;

[Trait("Category", "Unit")]
public sealed class TunnelSessionTests
{
    private static readonly IPAddress Leased = IPAddress.Parse("198.18.128.7");
    private static readonly IPAddress Corp = IPAddress.Parse("198.18.2.2");

    [Fact]
    public void WriteEchoRequest_GivesAnIpv4IcmpEchoRequestWithValidChecksums()
    {
        byte[] packet = new byte[60];

        TunnelSession.WriteEchoRequest(packet, Leased, Corp, identifier: 513, sequence: 9);

        Assert.True(IpPacket.TryReadIpv4(packet, out var header));
        Assert.Equal(60, header.TotalLength);
        Assert.Equal(1, header.Protocol);
        Assert.Equal(Leased, new IPAddress(packet.AsSpan(12, 4)));
        Assert.Equal(Corp, new IPAddress(packet.AsSpan(16, 4)));
        Assert.True(InternetChecksum.IsValid(packet.AsSpan(0, 20)));
        Assert.Equal(8, packet[20]);
        Assert.True(InternetChecksum.IsValid(packet.AsSpan(20)));
        Assert.Equal([2, 1, 0, 9], packet[24..28]);
    }

    [Fact]
    public void IsEchoReply_TheHostsAnswer_IsCountedOnlyForItsOwnIdentifierAndAValidChecksum()
    {
        byte[] reply = Reply(identifier: 513);

        Assert.True(TunnelSession.IsEchoReply(reply, 513));
        Assert.False(TunnelSession.IsEchoReply(reply, 514));
        reply[^1] ^= 0xFF;
        Assert.False(TunnelSession.IsEchoReply(reply, 513));
        Assert.False(TunnelSession.IsEchoReply(Request(513), 513));
        Assert.False(TunnelSession.IsEchoReply([0x60, 0, 0, 0], 513));
    }

    private static byte[] Request(ushort identifier)
    {
        byte[] packet = new byte[60];
        TunnelSession.WriteEchoRequest(packet, Leased, Corp, identifier, 1);
        return packet;
    }

    /// <summary>What a host answers: the addresses swapped, type 0, the ICMP checksum adjusted.</summary>
    private static byte[] Reply(ushort identifier)
    {
        byte[] packet = Request(identifier);
        TunnelSession.WriteEchoRequest(packet, Corp, Leased, identifier, 1);
        packet[20] = 0;
        packet[22] = 0;
        packet[23] = 0;
        ushort checksum = InternetChecksum.Compute(packet.AsSpan(20));
        packet[22] = (byte)(checksum >> 8);
        packet[23] = (byte)checksum;
        return packet;
    }
}
