using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// The agent endpoint's server certificate, issued by the internal CA and sent with the CA
/// certificate, so an agent that pins the CA (or was given its pin) can check it. It is made in
/// memory at start and made again when two thirds of its 90 days have passed, without a restart.
/// </summary>
public sealed class AgentEndpointCertificate(InternalCertificateAuthority authority, IOptions<AgentLinkOptions> options, TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(90);

    private readonly Lock _gate = new();
    private SslStreamCertificateContext? _current;
    private DateTimeOffset _renewAt;

    public SslStreamCertificateContext Current
    {
        get
        {
            DateTimeOffset now = clock.GetUtcNow();
            lock (_gate)
            {
                if (_current is null || now >= _renewAt)
                {
                    X509Certificate2 certificate = authority.IssueServerCertificate(HostNames(options.Value), now, Lifetime);
                    _current = SslStreamCertificateContext.Create(certificate, [authority.Certificate], offline: true);
                    _renewAt = now + (Lifetime * 2 / 3);
                }

                return _current;
            }
        }
    }

    /// <summary>This machine's name, loopback, the configured names and the public URL's host.</summary>
    private static List<string> HostNames(AgentLinkOptions options)
    {
        var names = new List<string> { "localhost", IPAddress.Loopback.ToString(), IPAddress.IPv6Loopback.ToString() };
        string host = Dns.GetHostName();
        if (!string.IsNullOrEmpty(host))
        {
            names.Add(host);
        }

        names.AddRange(options.HostNames);
        if (options.PublicUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out Uri? uri))
        {
            names.Add(uri.IdnHost);
        }

        return [.. names.Distinct(StringComparer.OrdinalIgnoreCase)];
    }
}
