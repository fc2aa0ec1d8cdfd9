using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Agents;
using OpenTunnel.Testing;

namespace OpenTunnel.Management.Tests.Agents;

/// <summary>
/// The agent endpoint's certificate names every address an agent may be told to use, because
/// agents check the name: loopback, this machine's name, each address of its interfaces, the
/// configured names and the public URL's host. It is for server authentication and chains to the CA.
/// </summary>
[Trait("Category", "Unit")]
public sealed class AgentEndpointCertificateTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    [Fact]
    public void Current_NamesLoopbackHostNameInterfaceAddressesConfiguredNamesAndPublicUrl()
    {
        using var authority = InternalCertificateAuthority.LoadOrCreate(_directory.Path, DateTimeOffset.UtcNow);
        var options = new AgentLinkOptions { HostNames = ["gateway-mgmt.example", "192.0.2.10"], PublicUrl = "https://agents.example:9444" };
        using var endpoint = new AgentEndpointCertificate(authority, Options.Create(options), TimeProvider.System);

        X509Certificate2 certificate = endpoint.Current.TargetCertificate;

        string[] expected = ["127.0.0.1", "::1", "localhost", Dns.GetHostName(), "gateway-mgmt.example", "192.0.2.10", "agents.example", .. InterfaceAddresses()];
        Assert.All(expected, name => Assert.True(endpoint.Names(name), $"The agent endpoint's certificate does not name {name}."));
        Assert.False(endpoint.Names("elsewhere.example"));
        Assert.False(endpoint.Names("198.51.100.77"));
        Assert.True(authority.Verify(certificate, InternalCertificateAuthority.ServerAuthentication, DateTimeOffset.UtcNow, out _));
        Assert.False(authority.Verify(certificate, InternalCertificateAuthority.ClientAuthentication, DateTimeOffset.UtcNow, out _));
    }

    public void Dispose() => _directory.Dispose();

    private static IEnumerable<string> InterfaceAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork || (a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal))
            .Select(a => new IPAddress(a.GetAddressBytes()).ToString());
}
