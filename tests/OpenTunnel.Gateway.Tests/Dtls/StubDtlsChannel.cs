using System.Net;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Gateway.Tests.Dtls;

/// <summary>An established channel that only knows whether it is open: the session's data path looks at nothing else.</summary>
internal sealed class StubDtlsChannel : IDtlsChannel
{
    public EndPoint RemoteEndPoint { get; } = new IPEndPoint(IPAddress.Parse("198.18.1.2"), 40001);

    public DtlsCipherSuite CipherSuite => DtlsCipherSuite.All[0];

    public bool IsOpen { get; private set; } = true;

    public long LastReceivedTicks => 0;

    public bool TrySendData(ReadOnlySpan<byte> ipPacket) => IsOpen;

    public void FlushData()
    {
    }

    public bool TrySend(CstpPacketType type, ReadOnlySpan<byte> payload) => IsOpen;

    public void Close() => IsOpen = false;
}
