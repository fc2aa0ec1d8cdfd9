using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Fuzz;

/// <summary>
/// Datagrams through the gateway's UDP demultiplexer (<see cref="DtlsListener"/>'s dispatch: by
/// address to a channel, a ClientHello to its session, a stranger to NAT rebinding) with one
/// established channel, as on the receive thread. The listener is real and bound to 127.0.0.1;
/// what it sends back (HelloVerifyRequests, DPD answers) goes to two sockets of this process that
/// stand for the client before and after a NAT rebinding.
/// Input: items of [control (1 byte), length (2 bytes, big-endian), bytes]: control bit 0 sends from the second address; bit 1
/// seals the bytes as one record of the client (content type by bits 2-3: application data,
/// alert, handshake, change cipher spec) instead of sending them raw. Documented refusal: the
/// datagram is dropped and counted; no exception.
/// </summary>
internal static class DtlsDemultiplexerTarget
{
    private static readonly byte[] ContentTypes = [DtlsRecord.ApplicationData, DtlsRecord.Alert, DtlsRecord.Handshake, 20];
    private static readonly Lazy<Harness> Shared = new(() => new Harness());

    public static void Run(ReadOnlySpan<byte> input)
    {
        var harness = Shared.Value;
        using var client = DtlsKeys.Client();
        harness.NewChannel();
        while (input.Length >= 3)
        {
            byte control = input[0];
            int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(input[1..]), input.Length - 3);
            var bytes = input.Slice(3, length);
            input = input[(3 + length)..];
            var from = (control & 1) == 0 ? harness.ClientAddress : harness.RebindAddress;
            var datagram = (control & 2) == 0 ? bytes : DtlsKeys.Seal(client, ContentTypes[(control >> 2) & 3], bytes);
            harness.Listener.Dispatch(datagram, from, harness.Plaintext);
        }
    }

    /// <summary>One listener for the whole run (a socket and threads each); a fresh channel per input.</summary>
    private sealed class Harness : IDtlsSessionDirectory, IDtlsSession
    {
        private readonly Socket _client = Bind();
        private readonly Socket _rebound = Bind();

        public Harness()
        {
            Listener = new DtlsListener(new DtlsOptions(), 30, this, new PacketCounters(), NullLogger<DtlsListener>.Instance);
            Listener.Start(new IPEndPoint(IPAddress.Loopback, 0));
            ClientAddress = _client.LocalEndPoint!.Serialize();
            RebindAddress = _rebound.LocalEndPoint!.Serialize();
        }

        public DtlsListener Listener { get; }

        public SocketAddress ClientAddress { get; }

        public SocketAddress RebindAddress { get; }

        public byte[] Plaintext { get; } = new byte[ushort.MaxValue];

        public DtlsSessionId DtlsSessionId { get; } = DtlsSessionId.FromBytes(Enumerable.Range(0x40, DtlsSessionId.Length).Select(i => (byte)i).ToArray());

        public DtlsCipherSuite DtlsCipherSuite => DtlsKeys.Suite;

        public ReadOnlySpan<byte> DtlsMasterSecret => new byte[48];

        public string DisplayName => "fuzz";

        public SessionTraffic Traffic { get; } = new();

        /// <summary>An established channel at the client's address; it replaces the previous input's channel.</summary>
        public void NewChannel()
        {
            var address = DtlsListener.Copy(ClientAddress);
            var channel = new DtlsChannel(Listener, this, address, new DtlsHandshakeTransport(Listener.Socket, address));
            channel.Establish(DtlsKeys.Server());
            Listener.Register(channel);
        }

        public bool TryFind(DtlsSessionId sessionId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IDtlsSession? session)
        {
            session = sessionId == DtlsSessionId ? this : null;
            return session is not null;
        }

        public int AttachDeviceReader() => -1;

        public DeviceRead ServeDevice() => DeviceRead.Drained;

        public void DetachDeviceReader()
        {
        }

        public void OnDtlsEstablished(IDtlsChannel channel)
        {
        }

        public void OnDtlsPacket(Span<byte> ipPacket)
        {
        }

        public void OnDtlsDisconnect(ReadOnlySpan<byte> reason)
        {
        }

        public void OnDtlsClosed(IDtlsChannel channel, DtlsCloseReason reason)
        {
        }

        private static Socket Bind()
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return socket;
        }
    }
}
