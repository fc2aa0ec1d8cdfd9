using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using OpenTunnel.Bench.Load.Protocol;

namespace OpenTunnel.Bench.Load.Sessions;

/// <summary>
/// One TLS connection to the gateway that speaks the few HTTP/1.1 requests of the OpenConnect
/// sign-in and CONNECT, as openconnect's http.c does over its own TLS socket. After CONNECT the
/// same TLS stream carries CSTP frames.
/// </summary>
internal sealed class HttpChannel : IAsyncDisposable
{
    private const int MaxHeadLength = 16 * 1024;
    private const int MaxBodyLength = 256 * 1024;

    private readonly Socket _socket;
    private byte[] _buffer;
    private int _start;
    private int _end;

    private HttpChannel(Socket socket, SslStream stream)
    {
        _socket = socket;
        Stream = stream;
        _buffer = ArrayPool<byte>.Shared.Rent(4096);
    }

    public SslStream Stream { get; }

    /// <summary>True when the last response said "Connection: close" (or was HTTP/1.0): the next request needs a new connection.</summary>
    public bool ServerClosing { get; private set; }

    /// <summary>Connects TCP (bound to <paramref name="source"/> when given) and runs the TLS handshake, checking the certificate pin.</summary>
    public static async Task<HttpChannel> OpenAsync(DnsEndPoint server, IPAddress? source, string pinSha256, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(server, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            throw;
        }

        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        var channel = new HttpChannel(socket, stream);
        try
        {
            await stream.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = server.Host,
                    // Every simulated device is a fresh client: no resumption, so the server pays a full handshake each time as it does for openconnect processes.
                    AllowTlsResume = false,
                    RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && MatchesPin(certificate, pinSha256),
                },
                cancellationToken);
        }
        catch
        {
            await channel.DisposeAsync();
            throw;
        }

        return channel;
    }

    /// <summary>Sends one request and reads the response head and (Content-Length) body.</summary>
    public async Task<(HttpResponseHead Head, string Body)> SendAsync(string request, CancellationToken cancellationToken)
    {
        await Stream.WriteAsync(Encoding.UTF8.GetBytes(request), cancellationToken);
        var head = await ReadHeadAsync(cancellationToken);
        int length = head.ContentLength;
        if (length > MaxBodyLength)
        {
            throw new SignInException($"HTTP {head.StatusCode}: body of {length} bytes is larger than {MaxBodyLength}");
        }

        string body = length == 0 ? string.Empty : Encoding.UTF8.GetString(await ReadBytesAsync(length, cancellationToken));
        return (head, body);
    }

    /// <summary>
    /// Sends CONNECT and reads only its head: the bytes after it are CSTP frames, which
    /// <see cref="TakeBuffered"/> hands on.
    /// </summary>
    public async Task<HttpResponseHead> SendConnectAsync(string request, CancellationToken cancellationToken)
    {
        await Stream.WriteAsync(Encoding.UTF8.GetBytes(request), cancellationToken);
        return await ReadHeadAsync(cancellationToken);
    }

    /// <summary>Bytes already read past the last response, and releases the read buffer.</summary>
    public byte[] TakeBuffered()
    {
        byte[] rest = _buffer.AsSpan(_start, _end - _start).ToArray();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _start = _end = 0;
        return rest;
    }

    public async ValueTask DisposeAsync()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        await Stream.DisposeAsync();
        _socket.Dispose();
    }

    internal static bool MatchesPin(X509Certificate certificate, string pinSha256)
    {
        using var x509 = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        byte[] hash = SHA256.HashData(x509.PublicKey.ExportSubjectPublicKeyInfo());
        return Convert.ToBase64String(hash) == pinSha256;
    }

    private async Task<HttpResponseHead> ReadHeadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int end = _buffer.AsSpan(_start, _end - _start).IndexOf(HttpResponseHead.Terminator);
            if (end >= 0)
            {
                var head = HttpResponseHead.Parse(_buffer.AsSpan(_start, end));
                _start += end + HttpResponseHead.Terminator.Length;
                ServerClosing = string.Equals(head.Get("Connection"), "close", StringComparison.OrdinalIgnoreCase)
                    || head.StatusLine.StartsWith("HTTP/1.0", StringComparison.Ordinal);
                return head;
            }

            if (_end - _start >= MaxHeadLength)
            {
                throw new SignInException($"response head longer than {MaxHeadLength} bytes");
            }

            await FillAsync(cancellationToken);
        }
    }

    private async Task<byte[]> ReadBytesAsync(int count, CancellationToken cancellationToken)
    {
        byte[] result = new byte[count];
        int have = Math.Min(count, _end - _start);
        _buffer.AsSpan(_start, have).CopyTo(result);
        _start += have;
        if (have < count)
        {
            await Stream.ReadExactlyAsync(result.AsMemory(have), cancellationToken);
        }

        return result;
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        int read = await Stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        if (read == 0)
        {
            throw new SignInException("server closed the connection before a complete response");
        }

        _end += read;
    }
}
