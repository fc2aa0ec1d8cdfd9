using System.Net;
using System.Net.Sockets;
using OpenTunnel.Platform.Linux.Tls;
using OpenTunnel.Protocol.Client;
using OpenTunnel.Trust;

namespace OpenTunnel.Bench.Load.Sessions;

/// <summary>
/// One TLS connection to the gateway that speaks the few HTTP/1.1 requests of the OpenConnect
/// sign-in and CONNECT, as openconnect's http.c does over its own TLS socket. After CONNECT the
/// same TLS stream carries CSTP frames.
/// </summary>
internal sealed class HttpChannel : IAsyncDisposable
{
    /// <summary>Each of a session's two socket buffers: a TLS record's worth.</summary>
    private const int SessionBufferSize = 16 * 1024 + 512;

    private readonly Socket _socket;

    private HttpChannel(Socket socket, OpenSslClientStream stream)
    {
        _socket = socket;
        Stream = stream;
        Exchange = new HttpExchange(stream);
    }

    public OpenSslClientStream Stream { get; }

    /// <summary>The sign-in and CONNECT requests on this connection.</summary>
    public HttpExchange Exchange { get; }

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

        OpenSslClientStream stream;
        try
        {
            // OpenSSL itself rather than SslStream, which builds an X509 chain per connection even for a pin: the
            // generator shares the machine's cores with the gateway, and every millisecond it spends is one the
            // gateway does not get. Every simulated device is a fresh client: a full handshake each time (no
            // resumption), as for openconnect processes. A session moves a few frames, so its buffers are small.
            stream = await OpenSslClientStream.ConnectAsync(socket, server.Host, certificate => CertificatePins.HashOf(certificate) == pinSha256, SessionBufferSize, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new HttpChannel(socket, stream);
    }

    public async ValueTask DisposeAsync()
    {
        Exchange.Dispose();
        await Stream.DisposeAsync();
        _socket.Dispose();
    }
}
