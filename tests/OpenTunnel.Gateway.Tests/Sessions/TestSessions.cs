using System.Net;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Tests.Dtls;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Sessions;

/// <summary>Sessions and links for tests that need a data path without a client.</summary>
internal static class TestSessions
{
    public static GatewaySession New(long id = 1, string user = "alice") =>
        new(id, "cookie" + id, SessionTable.HashCookie("cookie" + id), user, null, IPEndPoint.Parse("198.18.1.2:40000"), DateTimeOffset.UtcNow);

    /// <summary>A TLS link whose reads end at once and whose writes are recorded; nothing drives it.</summary>
    public static CstpConnection NewConnection(SessionTraffic traffic) =>
        new(new IgnoringInbound(), new RecordingStream(), new ConnectionReader(Stream.Null), IPEndPoint.Parse("198.18.1.2:40000"),
            traffic, new PacketCounters(), TimeProvider.System, maxQueuedPackets: 16);

    /// <summary>Makes <paramref name="sink"/> the session's path, as a DTLS channel over an attached TLS link would be.</summary>
    public static void RouteTo(GatewaySession session, IPacketSink sink)
    {
        session.DataPath.AttachTls(NewConnection(session.Traffic));
        session.DataPath.DtlsEstablished(new StubDtlsChannel(), sink);
    }

    private sealed class IgnoringInbound : ICstpInbound
    {
        public void OnReceived()
        {
        }

        public void OnDataPacket(Span<byte> packet)
        {
        }

        public void OnReadIdle()
        {
        }
    }
}
