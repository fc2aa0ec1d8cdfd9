using OpenTunnel.Client.Cli;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Tests.Cli;

[Trait("Category", "Unit")]
public sealed class ConnectVerbTests
{
    [Theory]
    [InlineData("198.18.1.1", 4443, "https://198.18.1.1:4443/")]
    [InlineData("2001:db8:1::1", 4443, "https://[2001:db8:1::1]:4443/")]
    [InlineData("vpn.example.com", 443, "https://vpn.example.com/")]
    public void GatewayUrl_SiteAddressAndPort(string address, int port, string expected)
    {
        Assert.Equal(expected, ConnectVerb.GatewayUrl(new DeviceProfileSite(Guid.Empty, "main", address, port)));
    }
}
