using System.Net;
using System.Net.NetworkInformation;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// The agent endpoint's server certificate, issued by the internal CA for server authentication
/// and sent with the CA certificate. Agents check that it chains to the pinned CA and names the
/// host they connect to, so it names every address agents may use: loopback, this machine's
/// name (and with its domain), every address of its network interfaces, the configured
/// <see cref="AgentLinkOptions.HostNames"/> and the host of <see cref="AgentLinkOptions.PublicUrl"/>.
/// It is made in memory at start, made again when the machine's addresses change, and when two
/// thirds of its 90 days have passed, without a restart.
/// </summary>
public sealed class AgentEndpointCertificate : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(90);

    private readonly InternalCertificateAuthority _authority;
    private readonly IOptions<AgentLinkOptions> _options;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private SslStreamCertificateContext? _current;
    private DateTimeOffset _renewAt;
    private volatile bool _addressesChanged;

    public AgentEndpointCertificate(InternalCertificateAuthority authority, IOptions<AgentLinkOptions> options, TimeProvider clock)
    {
        _authority = authority;
        _options = options;
        _clock = clock;
        NetworkChange.NetworkAddressChanged += OnAddressChanged;
    }

    public SslStreamCertificateContext Current
    {
        get
        {
            DateTimeOffset now = _clock.GetUtcNow();
            lock (_gate)
            {
                if (_current is null || now >= _renewAt || _addressesChanged)
                {
                    _addressesChanged = false;
                    X509Certificate2 certificate = _authority.IssueServerCertificate(HostNames(_options.Value), now, Lifetime);
                    _current = SslStreamCertificateContext.Create(certificate, [_authority.Certificate], offline: true);
                    _renewAt = now + (Lifetime * 2 / 3);
                }

                return _current;
            }
        }
    }

    /// <summary>Whether the certificate names <paramref name="host"/> (a DNS name or an IP address), so an agent told to connect there can check it.</summary>
    public bool Names(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return Current.TargetCertificate.MatchesHostname(host.Trim('[', ']'), allowWildcards: true, allowCommonName: false);
    }

    public void Dispose() => NetworkChange.NetworkAddressChanged -= OnAddressChanged;

    /// <summary>Loopback, this machine's name (and with its domain), its interfaces' addresses, the configured names and the public URL's host.</summary>
    internal static List<string> HostNames(AgentLinkOptions options)
    {
        var names = new List<string> { "localhost", IPAddress.Loopback.ToString(), IPAddress.IPv6Loopback.ToString() };
        string host = Dns.GetHostName();
        if (!string.IsNullOrEmpty(host))
        {
            names.Add(host);
            string domain = IPGlobalProperties.GetIPGlobalProperties().DomainName;
            if (!string.IsNullOrEmpty(domain) && !host.Contains('.', StringComparison.Ordinal))
            {
                names.Add($"{host}.{domain}");
            }
        }

        names.AddRange(LocalAddresses());
        if (options.ListenEndPoint is { } listen && !listen.Address.Equals(IPAddress.Any) && !listen.Address.Equals(IPAddress.IPv6Any))
        {
            names.Add(listen.Address.ToString());
        }

        names.AddRange(options.HostNames);
        if (options.PublicUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out Uri? uri))
        {
            names.Add(uri.IdnHost.Trim('[', ']'));
        }

        return [.. names.Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>The unicast addresses of the interfaces that are up, without IPv6 link-local ones (which need a scope no URL of an agent carries).</summary>
    private static IEnumerable<string> LocalAddresses()
    {
        NetworkInterface[] interfaces;
        try
        {
            interfaces = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException)
        {
            yield break;
        }

        foreach (NetworkInterface network in interfaces)
        {
            if (network.OperationalStatus is OperationalStatus.Down or OperationalStatus.NotPresent)
            {
                continue;
            }

            foreach (UnicastIPAddressInformation unicast in network.GetIPProperties().UnicastAddresses)
            {
                IPAddress address = unicast.Address;
                if (address.AddressFamily is AddressFamily.InterNetwork
                    || (address.AddressFamily is AddressFamily.InterNetworkV6 && !address.IsIPv6LinkLocal))
                {
                    yield return new IPAddress(address.GetAddressBytes()).ToString();
                }
            }
        }
    }

    private void OnAddressChanged(object? sender, EventArgs e) => _addressesChanged = true;
}
