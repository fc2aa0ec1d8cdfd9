using System.Security.Cryptography;
using OpenTunnel.Protocol.Dtls;
using OpenTunnel.Testing.Dtls;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace OpenTunnel.Protocol.Tests.Dtls;

/// <summary>
/// The client of PSK-NEGOTIATE against a BouncyCastle DTLS 1.2 PSK server over an in-memory
/// datagram link (ocserv itself, with GnuTLS, is the peer of <c>NativeClientOcservTests</c>).
/// </summary>
[Trait("Category", "Unit")]
public sealed class DtlsPskClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Connect_SameKey_SendsTheAppIdAndIdentity_AndItsKeyBlockSpeaksWithTheServersRecords()
    {
        byte[] key = RandomNumberGenerator.GetBytes(DtlsPskClient.KeyLength);
        byte[] appId = RandomNumberGenerator.GetBytes(32);
        var (clientEnd, serverEnd) = InMemoryDatagramTransport.CreatePair();
        var server = new PskServer(key);
        var client = new DtlsPskClient(appId, key, Timeout);

        Task<DtlsTransport> accepting = Task.Run(() => new DtlsServerProtocol().Accept(server, serverEnd));
        await Task.Run(() => new DtlsClientProtocol().Connect(client, clientEnd)).WaitAsync(Timeout);
        DtlsTransport serverTransport = await accepting.WaitAsync(Timeout);

        Assert.Equal([(byte)appId.Length, .. appId], server.AppIdExtension!);
        Assert.Equal(DtlsPskClient.Identity, server.Identity);
        Assert.Equal(DtlsCipherSuite.PskAes256GcmSha384, client.Suite!.Code);
        using var protection = DtlsRecordProtection.ForClient(client.KeyBlock!, client.Suite.KeyLength, DtlsRecordProtection.EstablishedEpoch, DtlsRecordProtection.FirstSequenceAfterHandshake);

        // The client's record, sealed by the .NET record layer, opens in BouncyCastle's server.
        byte[] record = new byte[100];
        int length = protection.Seal(DtlsRecord.ApplicationData, "ping"u8, record);
        clientEnd.Send(record.AsSpan(0, length));
        byte[] received = new byte[100];
        int receivedLength = serverTransport.Receive(received, 0, received.Length, (int)Timeout.TotalMilliseconds);
        Assert.Equal("ping"u8.ToArray(), received.AsSpan(0, receivedLength).ToArray());

        // And the server's record opens in the client's.
        serverTransport.Send("pong"u8.ToArray(), 0, 4);
        byte[] datagram = new byte[100];
        int datagramLength = clientEnd.Receive(datagram, 0, datagram.Length, (int)Timeout.TotalMilliseconds);
        byte[] plaintext = new byte[100];
        Assert.Equal(DtlsOpenResult.Ok, protection.Open(datagram.AsSpan(0, datagramLength), plaintext, out byte type, out int plaintextLength));
        Assert.Equal(DtlsRecord.ApplicationData, type);
        Assert.Equal("pong"u8.ToArray(), plaintext.AsSpan(0, plaintextLength).ToArray());
    }

    [Fact]
    public async Task Connect_OtherKey_FailsAndGivesNoKeys()
    {
        // DTLS drops a record that does not decrypt (RFC 6347 §4.1.2.7): the server never sees a
        // Finished it can read, and the client's handshake ends by its timeout or an alert.
        var (clientEnd, serverEnd) = InMemoryDatagramTransport.CreatePair();
        var server = new PskServer(RandomNumberGenerator.GetBytes(DtlsPskClient.KeyLength));
        var client = new DtlsPskClient([1, 2, 3], RandomNumberGenerator.GetBytes(DtlsPskClient.KeyLength), TimeSpan.FromSeconds(3));

        Task accepting = Task.Run(() => new DtlsServerProtocol().Accept(server, serverEnd));
        try
        {
            await Assert.ThrowsAnyAsync<IOException>(() => Task.Run(() => new DtlsClientProtocol().Connect(client, clientEnd)).WaitAsync(Timeout));
            Assert.Null(client.KeyBlock);
            Assert.Null(client.Suite);
        }
        finally
        {
            serverEnd.Close();
            clientEnd.Close();
            await Assert.ThrowsAnyAsync<Exception>(() => accepting.WaitAsync(Timeout));
        }
    }

    [Theory]
    [InlineData(0, 32)]
    [InlineData(33, 32)]
    [InlineData(32, 31)]
    public void Constructor_AppIdOrKeyOfAnotherLength_IsRefused(int appIdLength, int keyLength)
    {
        var e = Assert.Throws<ArgumentException>(() => new DtlsPskClient(new byte[appIdLength], new byte[keyLength], Timeout));
        Assert.Contains(appIdLength is 0 or > 32 ? "application id" : "PSK", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A DTLS 1.2 PSK server that records the identity and the app-id extension it was sent.</summary>
    private sealed class PskServer : PskTlsServer
    {
        private readonly Keys _keys;

        public PskServer(byte[] key)
            : this(new Keys(key))
        {
        }

        private PskServer(Keys keys)
            : base(new BcTlsCrypto(new SecureRandom()), keys)
        {
            _keys = keys;
        }

        public byte[]? AppIdExtension { get; private set; }

        public string? Identity => _keys.Identity;

        public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
        {
            base.ProcessClientExtensions(clientExtensions);
            AppIdExtension = clientExtensions.TryGetValue(DtlsPskClient.AppIdExtension, out byte[]? value) ? value : null;
        }

        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

        // GnuTLS's order in ocserv's priorities (NORMAL: AES-256-GCM before AES-128-GCM).
        protected override int[] GetSupportedCipherSuites() => [DtlsCipherSuite.PskAes256GcmSha384, DtlsCipherSuite.PskAes128GcmSha256];

        private sealed class Keys(byte[] key) : TlsPskIdentityManager
        {
            public string? Identity { get; private set; }

            public byte[]? GetHint() => null;

            public byte[] GetPsk(byte[] identity)
            {
                Identity = System.Text.Encoding.ASCII.GetString(identity);
                return key;
            }
        }
    }
}
