using System.Security.Authentication;

namespace OpenTunnel.Platform.Linux.Tls;

/// <summary>
/// The server's certificate was refused: <see cref="Exception.Message"/> says why (OpenSSL's
/// verification error, or that its key is not the pinned one), <see cref="Certificate"/> is the
/// DER of the certificate it sent, when it sent one (for a hint such as the pin that would accept
/// it; bytes rather than an <c>X509Certificate2</c>, which nobody would dispose of).
/// </summary>
public sealed class TlsCertificateException(string reason, byte[]? certificate) : AuthenticationException(reason)
{
    public byte[]? Certificate { get; } = certificate;
}
