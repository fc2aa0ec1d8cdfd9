using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace OpenTunnel.Platform.Linux.Tls;

/// <summary>
/// The server's certificate was refused: <see cref="Exception.Message"/> says why (OpenSSL's
/// verification error, or that its key is not the pinned one), <see cref="Certificate"/> is the
/// certificate it sent, when it sent one (for a hint such as the pin that would accept it).
/// </summary>
public sealed class TlsCertificateException(string reason, X509Certificate2? certificate) : AuthenticationException(reason)
{
    public X509Certificate2? Certificate { get; } = certificate;
}
