using System.Collections.Concurrent;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Protocol.Dtls;
using OpenTunnel.Testing.Dtls;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace OpenTunnel.Gateway.Tests.Dtls;

/// <summary>The key block the resumption handshake leaves behind drives the .NET record layer, both ways, with BouncyCastle as the client.</summary>
[Trait("Category", "Unit")]
public sealed class DtlsResumptionServerTests
{
    private static readonly byte[] Payload = [0, 0x45, 0, 0, 20, 1, 2, 3, 4, 5];

    public static TheoryData<string> SuiteNames => new(DtlsCipherSuite.All.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(SuiteNames))]
    public void ForServer_AfterBouncyCastleResumption_InteroperatesWithBouncyCastleClient(string suiteName)
    {
        var suite = DtlsCipherSuite.All.Single(s => s.Name == suiteName);
        using var pair = ResumedPair.Create(suite);

        // Client → gateway: a record BouncyCastle sealed opens with AesGcm.
        pair.Client.Send(Payload);
        byte[] record = pair.TakeClientDatagram();
        byte[] plaintext = new byte[100];
        Assert.Equal(DtlsOpenResult.Ok, pair.Server.Open(record, plaintext, out byte type, out int length));
        Assert.Equal(DtlsRecord.ApplicationData, type);
        Assert.Equal(Payload, plaintext[..length]);

        // Gateway → client: a record AesGcm sealed opens in BouncyCastle.
        byte[] reply = [4, 9, 8, 7];
        byte[] sealedRecord = new byte[100];
        int sealedLength = pair.Server.Seal(DtlsRecord.ApplicationData, reply, sealedRecord);
        pair.ClientEnd.Inject(sealedRecord[..sealedLength]);
        byte[] received = new byte[100];
        int receivedLength = pair.Client.Receive(received, 0, received.Length, 5000);
        Assert.Equal(reply, received[..receivedLength]);
    }

    [Theory]
    [MemberData(nameof(SuiteNames))]
    public async Task DtlsResumingClient_AfterResumption_DerivesTheGatewaysKeyBlock_AndBothAesGcmSidesInteroperate(string suiteName)
    {
        var suite = DtlsCipherSuite.All.Single(s => s.Name == suiteName);
        var id = DtlsSessionId.NewRandom();
        byte[] master = new byte[48];
        Random.Shared.NextBytes(master);
        var (clientEnd, serverEnd) = InMemoryDatagramTransport.CreatePair();
        var server = new DtlsResumptionServer(new BcTlsCrypto(new SecureRandom()), id, master, suite, TimeSpan.FromSeconds(10));
        var client = new DtlsResumingClient(id, master, suite, TimeSpan.FromSeconds(10));
        var accept = Task.Run(() => new DtlsServerProtocol().Accept(server, serverEnd));
        new DtlsClientProtocol().Connect(client, clientEnd);
        await accept;

        Assert.Equal(server.KeyBlock, client.KeyBlock);
        using var gateway = DtlsRecordProtection.ForServer(server.KeyBlock!, suite.KeyLength, DtlsRecordProtection.EstablishedEpoch, DtlsRecordProtection.FirstSequenceAfterHandshake);
        using var native = DtlsRecordProtection.ForClient(client.KeyBlock!, suite.KeyLength, DtlsRecordProtection.EstablishedEpoch, DtlsRecordProtection.FirstSequenceAfterHandshake);
        byte[] record = new byte[100];
        byte[] plaintext = new byte[100];
        int recordLength = native.Seal(DtlsRecord.ApplicationData, Payload, record);
        Assert.Equal(DtlsOpenResult.Ok, gateway.Open(record.AsSpan(0, recordLength), plaintext, out _, out int length));
        Assert.Equal(Payload, plaintext[..length]);
        recordLength = gateway.Seal(DtlsRecord.ApplicationData, Payload, record);
        Assert.Equal(DtlsOpenResult.Ok, native.Open(record.AsSpan(0, recordLength), plaintext, out _, out length));
        Assert.Equal(Payload, plaintext[..length]);
    }

    [Fact]
    public async Task DtlsResumingClient_WrongMasterSecret_FailsWithAnAlertAndNoKeys()
    {
        var suite = DtlsCipherSuite.All[0];
        var id = DtlsSessionId.NewRandom();
        byte[] master = new byte[48];
        Random.Shared.NextBytes(master);
        byte[] other = [.. master.Select(b => (byte)~b)];
        var (clientEnd, serverEnd) = InMemoryDatagramTransport.CreatePair();
        var server = new DtlsResumptionServer(new BcTlsCrypto(new SecureRandom()), id, master, suite, TimeSpan.FromSeconds(5));
        var client = new DtlsResumingClient(id, other, suite, TimeSpan.FromSeconds(5));
        var accept = Task.Run(() => Assert.ThrowsAny<IOException>(() => new DtlsServerProtocol().Accept(server, serverEnd)));

        Assert.ThrowsAny<IOException>(() => new DtlsClientProtocol().Connect(client, clientEnd));
        await accept;
        Assert.Null(client.KeyBlock);
        Assert.NotNull(client.LastAlert);
    }

    /// <summary>A BouncyCastle client and this gateway's resumption server after an in-memory handshake.</summary>
    private sealed class ResumedPair : IDisposable
    {
        private readonly BlockingCollection<byte[]> _clientSent = [];

        private ResumedPair(DtlsTransport client, InMemoryDatagramTransport clientEnd, DtlsRecordProtection server)
        {
            Client = client;
            ClientEnd = clientEnd;
            Server = server;
            clientEnd.Sent = _clientSent;
        }

        public DtlsTransport Client { get; }

        public InMemoryDatagramTransport ClientEnd { get; }

        public DtlsRecordProtection Server { get; }

        public static ResumedPair Create(DtlsCipherSuite suite)
        {
            var id = DtlsSessionId.NewRandom();
            byte[] master = new byte[48];
            Random.Shared.NextBytes(master);
            var (clientEnd, serverEnd) = InMemoryDatagramTransport.CreatePair();
            var server = new DtlsResumptionServer(new BcTlsCrypto(new SecureRandom()), id, master, suite, TimeSpan.FromSeconds(10));
            var accept = Task.Run(() => new DtlsServerProtocol().Accept(server, serverEnd));
            var client = ResumingDtlsClient.Connect(clientEnd, id, master, suite.Code);
            accept.GetAwaiter().GetResult();
            Assert.NotNull(server.KeyBlock);
            return new ResumedPair(client, clientEnd, DtlsRecordProtection.ForServer(server.KeyBlock, suite.KeyLength, 1, 1 << 16));
        }

        public byte[] TakeClientDatagram() => _clientSent.Take(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);

        public void Dispose() => Server.Dispose();
    }
}
