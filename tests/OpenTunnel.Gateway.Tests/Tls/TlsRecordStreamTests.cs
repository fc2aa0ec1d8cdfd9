using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Platform.Linux.Crypto;
using OpenTunnel.Platform.Linux.Tls;
using OpenTunnel.Protocol.Dtls;
using OpenTunnel.Protocol.Streams;
using OpenTunnel.Protocol.Tls;

namespace OpenTunnel.Gateway.Tests.Tls;

/// <summary>
/// The gateway taking a TLS 1.3 connection's records over from SslStream after the sign-in, with a
/// real OpenSSL on both ends (.NET's SslStream over an in-memory connection): what the client's
/// SslStream sends, the gateway opens, and the other way round.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TlsRecordStreamTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly RecordCipherFactory? Ciphers = OpenSslAesGcm.Factory;

    [Fact]
    public async Task TryTakeOver_FirstConnectionWithACertificate_StaysWithSslStream_AndSaysWhy()
    {
        var certificate = NewCertificate();
        await using var pair = await SignedInPairAsync(certificate);

        Assert.Null(TlsRecordStream.TryTakeOver(pair.Server, pair.Transport, Ciphers, out string? why));
        Assert.Contains("secrets are not known", why, StringComparison.Ordinal);
        // SslStream carries on.
        await pair.Client.WriteAsync("still there"u8.ToArray());
        Assert.Equal("still there", await ReadTextAsync(pair.Server, 11));
    }

    [Fact]
    public async Task TryTakeOver_AfterTheSignIn_BothDirectionsCarryOn()
    {
        var certificate = NewCertificate();
        await (await SignedInPairAsync(certificate)).DisposeAsync();
        await using var pair = await SignedInPairAsync(certificate);

        var records = TlsRecordStream.TryTakeOver(pair.Server, pair.Transport, Ciphers, out string? why);
        Assert.True(records is not null, why);
        pair.Transport.StopTapping();
        await using var taken = records;

        byte[] upload = RandomNumberGenerator.GetBytes(40_000);
        await pair.Client.WriteAsync(upload);
        await pair.Client.FlushAsync();
        Assert.Equal(upload, await ReadExactlyAsync(taken, upload.Length));

        // Coalescing on, as in a tunnel: the records are sealed where they wait for the flush.
        pair.Transport.Coalescing = true;
        byte[] download = RandomNumberGenerator.GetBytes(50_000);
        await taken.WriteAsync(download.AsMemory(0, 1400));
        await taken.WriteAsync(download.AsMemory(1400));
        await taken.FlushAsync();
        Assert.Equal(download, await ReadExactlyAsync(pair.Client, download.Length));
    }

    [Fact]
    public async Task TryTakeOver_SslStreamDisposedRightAfter_BothDirectionsCarryOn()
    {
        // The gateway lets SslStream's OpenSSL connection go once the records are taken over:
        // its disposal must neither close the transport nor put anything on it.
        var certificate = NewCertificate();
        await (await SignedInPairAsync(certificate)).DisposeAsync();
        await using var pair = await SignedInPairAsync(certificate, leaveTransportOpen: true);

        var records = TlsRecordStream.TryTakeOver(pair.Server, pair.Transport, Ciphers, out string? why);
        Assert.True(records is not null, why);
        pair.Transport.StopTapping();
        await pair.Server.DisposeAsync();
        await using var taken = records;

        byte[] upload = RandomNumberGenerator.GetBytes(20_000);
        await pair.Client.WriteAsync(upload);
        await pair.Client.FlushAsync();
        Assert.Equal(upload, await ReadExactlyAsync(taken, upload.Length));
        byte[] download = RandomNumberGenerator.GetBytes(20_000);
        await taken.WriteAsync(download);
        await taken.FlushAsync();
        Assert.Equal(download, await ReadExactlyAsync(pair.Client, download.Length));
    }

    [Fact]
    public async Task ReadAsync_TheClientClosesWithCloseNotify_TheStreamEnds()
    {
        var certificate = NewCertificate();
        await (await SignedInPairAsync(certificate)).DisposeAsync();
        await using var pair = await SignedInPairAsync(certificate);
        await using var taken = TlsRecordStream.TryTakeOver(pair.Server, pair.Transport, Ciphers, out _)!;
        pair.Transport.StopTapping();

        await pair.Client.WriteAsync("last"u8.ToArray());
        await pair.Client.ShutdownAsync();

        Assert.Equal("last", Encoding.ASCII.GetString(await ReadExactlyAsync(taken, 4)));
        using var timeout = new CancellationTokenSource(Patience);
        Assert.Equal(0, await taken.ReadAsync(new byte[16], timeout.Token));
    }

    [Fact]
    public async Task TryTakeOver_Tls12Connection_StaysWithSslStream()
    {
        var certificate = NewCertificate();
        await (await SignedInPairAsync(certificate)).DisposeAsync();
        await using var pair = await SignedInPairAsync(certificate, SslProtocols.Tls12);

        Assert.Null(TlsRecordStream.TryTakeOver(pair.Server, pair.Transport, Ciphers, out string? why));
        Assert.NotNull(why);
    }

    [Fact]
    public async Task ReadAsync_KeyUpdateAskingForOne_IsFollowed_AndAnsweredBeforeTheNextRecord()
    {
        var (client, server) = InMemoryDuplexStream.CreatePair();
        byte[] clientSecret = RandomNumberGenerator.GetBytes(48);
        byte[] serverSecret = RandomNumberGenerator.GetBytes(48);
        using var clientSends = Protection(clientSecret);
        using var clientReads = Protection(serverSecret);
        await using var taken = new TlsRecordStream(server, Protection(clientSecret), Protection(serverSecret));

        await client.WriteAsync(Seal(clientSends, TlsContentType.ApplicationData, [1]));
        await client.WriteAsync(Seal(clientSends, TlsContentType.Handshake, [24, 0, 0, 1, 1]));
        clientSends.Update();
        await client.WriteAsync(Seal(clientSends, TlsContentType.ApplicationData, [2]));
        Assert.Equal([1, 2], await ReadExactlyAsync(taken, 2));

        await taken.WriteAsync(new byte[] { 3 });
        byte[] keyUpdate = await ReadRecordAsync(client, clientReads);
        Assert.Equal([24, 0, 0, 1, 0], keyUpdate);
        clientReads.Update();
        Assert.Equal([3], await ReadRecordAsync(client, clientReads));
    }

    [Fact]
    public async Task ReadAsync_RecordThatDoesNotOpen_FailsTheStream()
    {
        var (client, server) = InMemoryDuplexStream.CreatePair();
        byte[] secret = RandomNumberGenerator.GetBytes(48);
        using var clientSends = Protection(secret);
        await using var taken = new TlsRecordStream(server, Protection(secret), Protection(RandomNumberGenerator.GetBytes(48)));
        byte[] record = Seal(clientSends, TlsContentType.ApplicationData, [1, 2, 3]);
        record[^1] ^= 0x40;

        await client.WriteAsync(record);

        var e = await Assert.ThrowsAsync<IOException>(async () => await taken.ReadAtLeastAsync(new byte[16], 1));
        Assert.Contains("does not open", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_ContentLargerThanTheBuffer_ComesOverSeveralReads()
    {
        var (client, server) = InMemoryDuplexStream.CreatePair();
        byte[] secret = RandomNumberGenerator.GetBytes(48);
        using var clientSends = Protection(secret);
        await using var taken = new TlsRecordStream(server, Protection(secret), Protection(RandomNumberGenerator.GetBytes(48)));
        byte[] content = RandomNumberGenerator.GetBytes(1000);

        await client.WriteAsync(Seal(clientSends, TlsContentType.ApplicationData, content));

        byte[] first = new byte[600];
        Assert.Equal(600, await taken.ReadAtLeastAsync(first, first.Length));
        Assert.Equal(content[..600], first);
        Assert.Equal(content[600..], await ReadExactlyAsync(taken, 400));
    }

    private static Tls13RecordProtection Protection(byte[] secret) => Tls13RecordProtection.Create(Tls13CipherSuite.Aes256GcmSha384, secret);

    private static byte[] Seal(Tls13RecordProtection protection, TlsContentType type, byte[] content)
    {
        byte[] record = new byte[content.Length + Tls13RecordProtection.Overhead];
        protection.Seal(type, content, record);
        return record;
    }

    private static async Task<byte[]> ReadRecordAsync(Stream stream, Tls13RecordProtection protection)
    {
        byte[] header = await ReadExactlyAsync(stream, Tls13RecordProtection.HeaderLength);
        Tls13RecordProtection.TryReadHeader(header, out _, out int bodyLength);
        byte[] record = [.. header, .. await ReadExactlyAsync(stream, bodyLength)];
        Assert.True(protection.TryOpen(record, out _, out var range));
        return record[range];
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int length)
    {
        byte[] bytes = new byte[length];
        using var timeout = new CancellationTokenSource(Patience);
        await stream.ReadExactlyAsync(bytes, timeout.Token);
        return bytes;
    }

    private static async Task<string> ReadTextAsync(Stream stream, int length) => Encoding.ASCII.GetString(await ReadExactlyAsync(stream, length));

    private static SslStreamCertificateContext NewCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=gateway.test", key, HashAlgorithmName.SHA256);
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificate = X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
        return SslStreamCertificateContext.Create(certificate, null, offline: true);
    }

    /// <summary>A handshake and one request and answer each way through SslStream, as a sign-in leaves a connection.</summary>
    private static async Task<Pair> SignedInPairAsync(SslStreamCertificateContext certificate, SslProtocols clientProtocols = SslProtocols.None, bool leaveTransportOpen = false)
    {
        var (clientEnd, serverEnd) = InMemoryDuplexStream.CreatePair();
        var transport = new CoalescingStream(serverEnd);
        var server = new SslStream(transport, leaveTransportOpen);
        var client = new SslStream(clientEnd, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        using var timeout = new CancellationTokenSource(Patience);
        await Task.WhenAll(
            server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = certificate, EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13 }, timeout.Token),
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "gateway.test", EnabledSslProtocols = clientProtocols }, timeout.Token));
        TlsTrafficSecretsSource.Watch(server);

        await client.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), timeout.Token);
        Assert.Equal("GET / HTTP/1.1\r\n\r\n", await ReadTextAsync(server, 18));
        await server.WriteAsync("HTTP/1.1 200 OK\r\n\r\n"u8.ToArray(), timeout.Token);
        Assert.Equal("HTTP/1.1 200 OK\r\n\r\n", await ReadTextAsync(client, 19));
        return new Pair(client, server, transport);
    }

    private sealed record Pair(SslStream Client, SslStream Server, CoalescingStream Transport) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            TlsTrafficSecretsSource.Forget(Server);
            await Client.DisposeAsync();
            await Server.DisposeAsync();
        }
    }
}
