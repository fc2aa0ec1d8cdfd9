using System.Net;
using Microsoft.AspNetCore.Builder;
using OpenTunnel.Management.Settings;

namespace OpenTunnel.Management.Tests.Settings;

[Trait("Category", "Unit")]
public sealed class TrustedProxiesTests
{
    [Fact]
    public void Configure_WithoutEntries_TrustsNobodyNotEvenLoopback()
    {
        var options = new ForwardedHeadersOptions();

        TrustedProxies.Configure(options, []);

        Assert.Empty(options.KnownProxies);
        Assert.Empty(options.KnownIPNetworks);
    }

    [Fact]
    public void Configure_AddressesAndNetworks_TrustsExactlyThose()
    {
        var options = new ForwardedHeadersOptions();

        TrustedProxies.Configure(options, ["198.18.0.10", "2001:db8::/64"]);

        Assert.Equal([System.Net.IPNetwork.Parse("198.18.0.10/32"), System.Net.IPNetwork.Parse("2001:db8::/64")], options.KnownIPNetworks);
        Assert.True(options.KnownIPNetworks[1].Contains(IPAddress.Parse("2001:db8::5")));
    }

    [Theory]
    [InlineData("proxy.example.com")]
    [InlineData("198.18.0.0/33")]
    [InlineData("")]
    public void Problems_NotAnAddressOrNetwork_NamesTheSettingAndTheValue(string entry)
    {
        string problem = Assert.Single(TrustedProxies.Problems(["198.18.0.1", entry]));

        Assert.Contains($"Management:TrustedProxies:1 '{entry}'", problem, StringComparison.Ordinal);
    }
}
