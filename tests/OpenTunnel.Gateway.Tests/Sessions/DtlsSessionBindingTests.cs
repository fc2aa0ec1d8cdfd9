using System.Security.Cryptography;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Tests.Auth;
using OpenTunnel.Gateway.Tests.Connections;
using OpenTunnel.Gateway.Tests.DataPlane;
using OpenTunnel.Gateway.Tests.Dtls;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Dtls;
using OpenTunnel.Testing.Dtls;
using Org.BouncyCastle.Tls;

namespace OpenTunnel.Gateway.Tests.Sessions;

/// <summary>
/// A session's DTLS side with the real listener on a loopback UDP port and a BouncyCastle client
/// resuming as openconnect does: the offer at CONNECT, the switch of the session's path to DTLS and
/// back, packets through the data plane, and the end of the session over DTLS.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DtlsSessionBindingTests : IClassFixture<TokenIssuerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly TokenIssuerFixture _issuers;
    private readonly InMemoryGateway _gateway;
    private readonly List<IDisposable> _disposables = [];

    public DtlsSessionBindingTests(TokenIssuerFixture issuers)
    {
        _issuers = issuers;
        _gateway = new InMemoryGateway(issuers);
        _gateway.StartDtls();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task Connect_WithoutMasterSecret_NoDtlsOffered()
    {
        await using var client = await TestTlsClient.ConnectAsync(_gateway.Connect());
        string cookie = ClientConnectionTests.Cookie(await ClientConnectionTests.SignInAsync(client, _issuers.Ec.Mint("alice")));

        await client.SendAsync(ClientConnectionTests.Connect(cookie));
        var answer = await client.ReadResponseAsync();

        Assert.Null(answer.Header("X-DTLS-Session-ID"));
        Assert.Null(_gateway.Sessions.Find(cookie)!.DataPath.Dtls);
    }

    [Fact]
    public async Task Reconnect_SameSession_KeepsItsDtlsSessionId()
    {
        var (tls, session, _, first) = await ConnectWithDtlsOfferAsync();
        await tls.DisposeAsync();
        await ClientConnectionTests.WaitUntilAsync(() => session.Connection is null);

        await using var again = await TestTlsClient.ConnectAsync(_gateway.Connect("198.18.1.2:40001"));
        await again.SendAsync(ConnectWithDtls(session.Cookie!, RandomNumberGenerator.GetBytes(48)));
        var answer = await again.ReadResponseAsync();

        Assert.Equal(first.ToHex(), answer.Header("X-DTLS-Session-ID"));
    }

    [Fact]
    public async Task Handshake_MovesThePathToDtls_AndPacketsFlowBothWaysOverIt()
    {
        var (tls, session, secret, id) = await ConnectWithDtlsOfferAsync();
        await using var link = tls;
        var dtls = Handshake(id, secret);
        await ClientConnectionTests.WaitUntilAsync(() => session.DataPath.Sink?.Name == "DTLS");
        string address = IPv4AddressPool.ToAddress(session.IPv4Address).ToString();

        // Device → client over DTLS.
        byte[] inbound = TestPackets.Ipv4("198.18.2.10", address);
        _gateway.FromHost(inbound);
        Assert.Equal([(byte)CstpPacketType.Data, .. inbound], Receive(dtls));

        // Client → device over DTLS.
        byte[] outbound = TestPackets.Ipv4(address, "198.18.2.10");
        dtls.Send([(byte)CstpPacketType.Data, .. outbound], 0, outbound.Length + 1);
        Assert.True(_gateway.Device.Written.TryTake(out byte[]? written, Wait));
        Assert.Equal(outbound, written);
        Assert.Equal(outbound.Length, session.DataPath.Dtls!.BytesFromClient);
        Assert.Equal(inbound.Length, session.DataPath.Dtls.BytesToClient);
        Assert.Equal(1, session.PacketsToClient);
    }

    [Theory]
    [InlineData(true, 256 * 1024 >> 7)]
    [InlineData(false, 65535)]
    public async Task AcknowledgementOverDtls_WindowLoweredToTheFloorWhileTheDtlsClampIsOn(bool clamp, int window)
    {
        _gateway.DataPlane.DtlsWindowClamp = clamp;
        var (tls, session, secret, id) = await ConnectWithDtlsOfferAsync();
        await using var link = tls;
        var dtls = Handshake(id, secret);
        await ClientConnectionTests.WaitUntilAsync(() => session.DataPath.Sink?.Name == "DTLS");
        string address = IPv4AddressPool.ToAddress(session.IPv4Address).ToString();

        // A flow whose two SYNs announce window scale 7, then the client's acknowledgement, all over DTLS.
        SendOverDtls(dtls, TestPackets.TcpControl(address, 40000, "198.18.2.10", 5201, 0x02, window: 64240, options: [1, 3, 3, 7]));
        Assert.True(_gateway.Device.Written.TryTake(out _, Wait));
        _gateway.FromHost(TestPackets.TcpControl("198.18.2.10", 5201, address, 40000, 0x12, window: 65160, options: [1, 3, 3, 7]));
        Receive(dtls);
        SendOverDtls(dtls, TestPackets.TcpControl(address, 40000, "198.18.2.10", 5201, 0x10, window: 65535));

        Assert.True(_gateway.Device.Written.TryTake(out byte[]? acknowledgement, Wait));
        Assert.Equal(window, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(acknowledgement.AsSpan(20 + 14)));
    }

    [Fact]
    public async Task DataOverTls_WhileOnDtls_MovesThePathBackToTls()
    {
        var (tls, session, secret, id) = await ConnectWithDtlsOfferAsync();
        await using var link = tls;
        Handshake(id, secret);
        await ClientConnectionTests.WaitUntilAsync(() => session.DataPath.Sink?.Name == "DTLS");
        string address = IPv4AddressPool.ToAddress(session.IPv4Address).ToString();

        await tls.SendFrameAsync(CstpPacketType.Data, TestPackets.Ipv4(address, "198.18.2.10"));

        await ClientConnectionTests.WaitUntilAsync(() => session.DataPath.Sink?.Name == "TLS");
        byte[] inbound = TestPackets.Ipv4("198.18.2.10", address);
        _gateway.FromHost(inbound);
        var (type, payload) = await tls.ReadFrameAsync();
        Assert.Equal(CstpPacketType.Data, type);
        Assert.Equal(inbound, payload);
    }

    [Fact]
    public async Task DisconnectOverDtls_EndsTheSession()
    {
        var (tls, session, secret, id) = await ConnectWithDtlsOfferAsync();
        await using var link = tls;
        var dtls = Handshake(id, secret);
        await ClientConnectionTests.WaitUntilAsync(() => session.DataPath.Sink?.Name == "DTLS");

        dtls.Send([(byte)CstpPacketType.Disconnect, 0xB0], 0, 2);

        await ClientConnectionTests.WaitUntilAsync(() => session.Ended);
        Assert.False(_gateway.Dtls!.TryFind(id, out _));
    }

    private async Task<(TestTlsClient Tls, Gateway.Sessions.GatewaySession Session, byte[] Secret, DtlsSessionId Id)> ConnectWithDtlsOfferAsync()
    {
        var client = await TestTlsClient.ConnectAsync(_gateway.Connect());
        string cookie = ClientConnectionTests.Cookie(await ClientConnectionTests.SignInAsync(client, _issuers.Ec.Mint("alice")));
        byte[] secret = RandomNumberGenerator.GetBytes(48);
        await client.SendAsync(ConnectWithDtls(cookie, secret));
        var answer = await client.ReadResponseAsync();
        Assert.Equal(200, answer.Status);
        string hex = answer.Header("X-DTLS-Session-ID") ?? throw new InvalidOperationException("the CONNECT answer offered no DTLS");
        var session = _gateway.Sessions.Find(cookie)!;
        Assert.Equal(hex, session.DataPath.Dtls!.DtlsSessionId.ToHex());
        return (client, session, secret, DtlsSessionId.FromBytes(Convert.FromHexString(hex)));
    }

    private DtlsTransport Handshake(DtlsSessionId id, byte[] secret)
    {
        var udp = new UdpClientTransport(_gateway.Dtls!.Listener.LocalEndPoint);
        _disposables.Add(udp);
        var suite = DtlsCipherSuite.Select(Suites, null)!;
        return ResumingDtlsClient.Connect(udp, id, secret, suite.Code);
    }

    private const string Suites = "PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM";

    private static string ConnectWithDtls(string cookie, byte[] secret) =>
        ClientConnectionTests.Connect(cookie).Replace("\r\n\r\n", $"\r\nX-DTLS-Master-Secret: {Convert.ToHexString(secret)}\r\nX-DTLS-CipherSuite: {Suites}\r\n\r\n", StringComparison.Ordinal);

    private static void SendOverDtls(DtlsTransport client, byte[] packet) => client.Send([(byte)CstpPacketType.Data, .. packet], 0, packet.Length + 1);

    private static byte[] Receive(DtlsTransport client)
    {
        byte[] buffer = new byte[2048];
        int length = client.Receive(buffer, 0, buffer.Length, (int)Wait.TotalMilliseconds);
        Assert.True(length >= 0, "The client received nothing over DTLS.");
        return buffer[..length];
    }
}
