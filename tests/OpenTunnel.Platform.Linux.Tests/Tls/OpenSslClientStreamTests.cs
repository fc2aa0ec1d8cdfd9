using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Platform.Linux.Tls;

namespace OpenTunnel.Platform.Linux.Tests.Tls;

/// <summary>
/// The OpenSSL client connection against a real TLS server over 127.0.0.1 (.NET's SslStream, itself
/// on OpenSSL), with a throwaway self-signed certificate that no trust store holds.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OpenSslClientStreamTests : IDisposable
{
    private const string Label = "EXPORTER-openconnect-psk";

    private readonly X509Certificate2 _certificate;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public OpenSslClientStreamTests()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _certificate.Dispose();
    }

    [Fact]
    public async Task Pinned_CarriesDataBothWaysAtOnce_AndReadsZeroWhenTheServerCloses()
    {
        var (socket, serving) = await ConnectSocketAsync();
        using var _ = socket;
        await using var client = await OpenSslClientStream.ConnectAsync(socket, "127.0.0.1", peer => peer.Span.SequenceEqual(_certificate.RawData), CancellationToken.None);
        await using var server = await serving;
        // Packet-sized writes in both directions while both ends read: one read and one write on the client at once.
        await ExchangeAsync(client, server, up: (1_000_000, 1_400), down: (700_000, 9_000));

        await server.ShutdownAsync();
        Assert.Equal(0, await client.ReadAsync(new byte[100]));
    }

    [Fact]
    public async Task SmallBuffers_CarryRecordsSeveralTimesTheirSize_BothWays()
    {
        var (socket, serving) = await ConnectSocketAsync();
        using var _ = socket;
        await using var client = await OpenSslClientStream.ConnectAsync(socket, "127.0.0.1", _ => true, bufferSize: 1_024, CancellationToken.None);
        await using var server = await serving;
        // Records of up to 16 KB pass through 1 KB socket buffers in pieces.
        await ExchangeAsync(client, server, up: (200_000, 16_000), down: (300_000, 16_384));
    }

    [Fact]
    public async Task TooSmallABuffer_IsRefusedBeforeAnythingIsSent()
    {
        var (socket, serving) = await ConnectSocketAsync();
        using var _ = socket;

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => OpenSslClientStream.ConnectAsync(socket, "127.0.0.1", _ => true, bufferSize: 100, CancellationToken.None));
        socket.Dispose();
        await IgnoreAsync(serving);
    }

    [Fact]
    public async Task Coalescing_WritesWaitForTheFlush_ThenArriveInOrderOneRecordEach()
    {
        var tap = new TaskCompletionSource<ReadTap>();
        var (socket, serving) = await ConnectSocketAsync(tap);
        using var _ = socket;
        await using var client = await OpenSslClientStream.ConnectAsync(socket, "127.0.0.1", _ => true, CancellationToken.None);
        await using var server = await serving;
        var records = await tap.Task;
        client.Coalescing = true;
        await client.WriteAsync(Filled(100, 1));
        await client.WriteAsync(Filled(1_400, 2));
        await client.WriteAsync(Filled(7, 3));
        byte[] received = new byte[1_507];
        var reading = server.ReadExactlyAsync(received).AsTask();
        await Task.Delay(200);
        Assert.False(reading.IsCompleted, "A record left before the flush.");
        int before = records.RecordLengths().Count;

        await client.FlushAsync();

        await reading.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([.. Filled(100, 1), .. Filled(1_400, 2), .. Filled(7, 3)], received);
        // Each write is a record of its own: its length is the text's plus the protocol's overhead.
        int overhead = server.SslProtocol == SslProtocols.Tls13 ? 1 + 16 : 8 + 16;
        Assert.Equal([100 + overhead, 1_400 + overhead, 7 + overhead], records.RecordLengths().Skip(before));
    }

    [Fact]
    public async Task Coalescing_MoreThanTheLimitWaiting_IsSentWithoutAFlush()
    {
        var (socket, serving) = await ConnectSocketAsync();
        using var _ = socket;
        await using var client = await OpenSslClientStream.ConnectAsync(socket, "127.0.0.1", _ => true, CancellationToken.None);
        await using var server = await serving;
        client.Coalescing = true;

        for (int written = 0; written <= OpenSslClientStream.CoalescingLimit; written += 1_400)
        {
            await client.WriteAsync(Filled(1_400, 4));
        }

        byte[] received = new byte[1_400];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await server.ReadExactlyAsync(received, timeout.Token);
        Assert.Equal(Filled(1_400, 4), received);
    }

    [Fact]
    public async Task Pinned_ACertificateTheCheckRefuses_IsRefusedWithTheCertificate()
    {
        var (socket, serving) = await ConnectSocketAsync();
        using var _ = socket;

        var refused = await Assert.ThrowsAsync<TlsCertificateException>(() => OpenSslClientStream.ConnectAsync(socket, "127.0.0.1", _ => false, CancellationToken.None));

        Assert.Contains("not the pinned one", refused.Message, StringComparison.Ordinal);
        Assert.Equal(_certificate.RawData, refused.Certificate);
        await IgnoreAsync(serving);
    }

    [Fact]
    public async Task SystemTrust_ASelfSignedCertificate_IsRefusedNamingWhy()
    {
        var (socket, serving) = await ConnectSocketAsync();
        using var _ = socket;

        var refused = await Assert.ThrowsAsync<TlsCertificateException>(() => OpenSslClientStream.ConnectAsync(socket, "127.0.0.1", acceptPeer: null, CancellationToken.None));

        Assert.Contains("self-signed certificate", refused.Message, StringComparison.Ordinal);
        Assert.Equal(_certificate.RawData, refused.Certificate);
        await IgnoreAsync(serving);
    }

    [Fact]
    public async Task TryExportKeyingMaterial_MatchesTheServersExport_AndDiffersPerLabelAndPerConnection()
    {
        var (socket, serving) = await ConnectSocketAsync();
        using var _ = socket;
        await using var client = await OpenSslClientStream.ConnectAsync(socket, "127.0.0.1", _ => true, CancellationToken.None);
        await using var server = await serving;
        var (otherSocket, otherServing) = await ConnectSocketAsync();
        using var __ = otherSocket;
        await using var other = await OpenSslClientStream.ConnectAsync(otherSocket, "127.0.0.1", _ => true, CancellationToken.None);
        await using var otherServer = await otherServing;

        byte[]? exported = client.TryExportKeyingMaterial(Label, 32);

        Assert.NotNull(exported);
        Assert.Equal(32, exported.Length);
        Assert.Equal(ServerExport(server, Label, 32), exported);
        Assert.NotEqual(exported, client.TryExportKeyingMaterial("EXPORTER-another-label", 32));
        Assert.NotEqual(exported, other.TryExportKeyingMaterial(Label, 32));
    }

    [Fact]
    public async Task Dispose_WhileAReadWaits_EndsTheReadWithoutTouchingTheFreedConnection()
    {
        var (socket, serving) = await ConnectSocketAsync();
        var client = await OpenSslClientStream.ConnectAsync(socket, "127.0.0.1", _ => true, CancellationToken.None);
        await using var server = await serving;
        var reading = client.ReadAsync(new byte[100]).AsTask();

        await client.DisposeAsync();
        socket.Dispose();

        var ended = await Assert.ThrowsAnyAsync<Exception>(() => reading);
        Assert.True(ended is IOException or ObjectDisposedException, $"The read ended with {ended}.");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.WriteAsync(new byte[10]).AsTask());
    }

    private static byte[] Filled(int length, byte value) => Enumerable.Repeat(value, length).ToArray();

    /// <summary>A connected socket and the server's end; with <paramref name="tap"/>, the server reads through a <see cref="ReadTap"/> it is given.</summary>
    private async Task<(Socket Client, Task<SslStream> Server)> ConnectSocketAsync(TaskCompletionSource<ReadTap>? tap = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepting = _listener.AcceptTcpClientAsync();
        await socket.ConnectAsync((IPEndPoint)_listener.LocalEndpoint);
        return (socket, ServeAsync(await accepting, tap));
    }

    private async Task<SslStream> ServeAsync(TcpClient accepted, TaskCompletionSource<ReadTap>? tap)
    {
        Stream transport = accepted.GetStream();
        if (tap is not null)
        {
            var reads = new ReadTap(transport);
            tap.SetResult(reads);
            transport = reads;
        }

        var server = new SslStream(transport, leaveInnerStreamOpen: false);
        await server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate });
        return server;
    }

    private static async Task IgnoreAsync(Task<SslStream> serving)
    {
        try
        {
            await (await serving).DisposeAsync();
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            // The client ended the handshake.
        }
    }

    /// <summary>Random bytes written in pieces both ways at once while both ends read; each side gets exactly the other's bytes.</summary>
    private static async Task ExchangeAsync(Stream client, Stream server, (int Bytes, int Piece) up, (int Bytes, int Piece) down)
    {
        byte[] upBytes = RandomNumberGenerator.GetBytes(up.Bytes);
        byte[] downBytes = RandomNumberGenerator.GetBytes(down.Bytes);
        byte[] atServer = new byte[up.Bytes];
        byte[] atClient = new byte[down.Bytes];
        await Task.WhenAll(
            WriteInPiecesAsync(client, upBytes, up.Piece),
            WriteInPiecesAsync(server, downBytes, down.Piece),
            server.ReadExactlyAsync(atServer).AsTask(),
            client.ReadExactlyAsync(atClient).AsTask());

        Assert.Equal(upBytes, atServer);
        Assert.Equal(downBytes, atClient);
    }

    private static async Task WriteInPiecesAsync(Stream stream, byte[] data, int piece)
    {
        for (int offset = 0; offset < data.Length; offset += piece)
        {
            await stream.WriteAsync(data.AsMemory(offset, Math.Min(piece, data.Length - offset)));
        }
    }

    /// <summary>The same export on .NET's server connection, through its SSL*.</summary>
    private static byte[]? ServerExport(SslStream server, string label, int length)
    {
        Assert.True(SslStreamHandle.TryCall(server, ssl => OpenSslExporter.TryExport(ssl, label, length), out byte[]? exported));
        return exported;
    }

    /// <summary>Passes reads through and keeps the bytes, so that the TLS records the client sent can be told apart.</summary>
    private sealed class ReadTap(Stream inner) : Stream
    {
        private readonly List<byte> _read = [];

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        /// <summary>The length field of every whole record read so far, in order.</summary>
        public List<int> RecordLengths()
        {
            lock (_read)
            {
                var lengths = new List<int>();
                for (int at = 0; at + 5 <= _read.Count;)
                {
                    int length = (_read[at + 3] << 8) | _read[at + 4];
                    if (at + 5 + length > _read.Count)
                    {
                        break;
                    }

                    lengths.Add(length);
                    at += 5 + length;
                }

                return lengths;
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int read = await inner.ReadAsync(buffer, cancellationToken);
            lock (_read)
            {
                _read.AddRange(buffer.Span[..read]);
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
