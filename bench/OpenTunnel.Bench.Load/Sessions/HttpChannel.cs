using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Protocol.Client;

namespace OpenTunnel.Bench.Load.Sessions;

/// <summary>
/// One TLS connection to the gateway that speaks the few HTTP/1.1 requests of the OpenConnect
/// sign-in and CONNECT, as openconnect's http.c does over its own TLS socket. After CONNECT the
/// same TLS stream carries CSTP frames.
/// </summary>
internal sealed class HttpChannel : IAsyncDisposable
{
    private readonly Socket _socket;

    private HttpChannel(Socket socket, SslStream stream)
    {
        _socket = socket;
        Stream = stream;
        Exchange = new HttpExchange(stream);
    }

    public SslStream Stream { get; }

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
                    // The pin decides; a chain against the system's trust store would cost the generator more than the gateway's whole sign-in.
                    CertificateChainPolicy = PinOnly(),
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

    public async ValueTask DisposeAsync()
    {
        Exchange.Dispose();
        await Stream.DisposeAsync();
        _socket.Dispose();
    }

    /// <summary>A chain built from the server's certificate alone: no system roots, no downloads, no revocation check (one per connection: TLS adds the peer's certificates to it).</summary>
    private static X509ChainPolicy PinOnly() => new()
    {
        TrustMode = X509ChainTrustMode.CustomRootTrust,
        RevocationMode = X509RevocationMode.NoCheck,
        DisableCertificateDownloads = true,
    };

    internal static bool MatchesPin(X509Certificate certificate, string pinSha256)
    {
        using var x509 = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        byte[] hash = SHA256.HashData(x509.PublicKey.ExportSubjectPublicKeyInfo());
        return Convert.ToBase64String(hash) == pinSha256;
    }
}
