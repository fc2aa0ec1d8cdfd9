using System.Net;
using OpenTunnel.Gateway.Contracts.Network;

namespace OpenTunnel.Gateway.Contracts.Tests.Network;

[Trait("Category", "Unit")]
public sealed class NetworkSyntaxTests
{
    [Theory]
    [InlineData("198.18.0.0/15", "198.18.0.0", 15)]
    [InlineData("0.0.0.0/0", "0.0.0.0", 0)]
    [InlineData("198.18.2.10/32", "198.18.2.10", 32)]
    [InlineData("2001:db8::/32", "2001:db8::", 32)]
    [InlineData("2001:db8:2::53/128", "2001:db8:2::53", 128)]
    public void TryParseCidr_ValidRange_ReturnsNetwork(string text, string address, int prefix)
    {
        Assert.Null(NetworkSyntax.TryParseCidr(text, out IPNetwork network));
        Assert.Equal(IPAddress.Parse(address), network.BaseAddress);
        Assert.Equal(prefix, network.PrefixLength);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("198.18.0.0", "no prefix length")]
    [InlineData("198.18/16", "does not start with")]
    [InlineData("198.18.0.0/33", "0 to 32")]
    [InlineData("2001:db8::/129", "0 to 128")]
    [InlineData("198.18.0.0/-1", "0 to 32")]
    [InlineData("198.18.0.0/ 8", "0 to 32")]
    [InlineData("198.18.0.1/24", "did you mean 198.18.0.0/24")]
    [InlineData("fe80::1%eth0/64", "does not start with")]
    [InlineData("10.0/16", "does not start with")]
    [InlineData("10.0.0/24", "does not start with")]
    [InlineData("198.18.0.0/0024", "0 to 32")]
    public void TryParseCidr_InvalidRange_SaysWhatIsWrong(string text, string expected)
    {
        Assert.Contains(expected, NetworkSyntax.TryParseCidr(text, out _), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("198.18.0.53", true)]
    [InlineData("2001:db8::53", true)]
    [InlineData("10", false)]
    [InlineData("198.18.0", false)]
    [InlineData("198.18.0.256", false)]
    [InlineData("vpn.example.com", false)]
    [InlineData("", false)]
    public void TryParseAddress_AcceptsOnlyFullAddresses(string text, bool expected)
    {
        Assert.Equal(expected, NetworkSyntax.TryParseAddress(text, out _));
    }

    [Theory]
    [InlineData("vpn.example.com", true)]
    [InlineData("vpn.example.com.", true)]
    [InlineData("1password.example", true)]
    [InlineData("xn--bcher-kva.example", true)]
    [InlineData("vpn", false)]
    [InlineData("vpn..example.com", false)]
    [InlineData("-vpn.example.com", false)]
    [InlineData("vpn-.example.com", false)]
    [InlineData("vpn_1.example.com", false)]
    [InlineData("_ldap._tcp.example.com", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("https://vpn.example.com", false)]
    public void IsFqdn_ChecksEveryLabel(string text, bool expected)
    {
        Assert.Equal(expected, NetworkSyntax.IsFqdn(text));
    }

    [Fact]
    public void IsDomainName_LabelOf64Characters_IsRefused()
    {
        Assert.True(NetworkSyntax.IsDomainName(new string('a', 63) + ".example"));
        Assert.False(NetworkSyntax.IsDomainName(new string('a', 64) + ".example"));
    }

    [Fact]
    public void IsDomainName_SingleLabel_IsAcceptedOnlyWhenOneLabelIsEnough()
    {
        Assert.True(NetworkSyntax.IsDomainName("corp"));
        Assert.False(NetworkSyntax.IsFqdn("corp"));
    }

    // The gateway took these as search domains until it shared these rules.
    [Theory]
    [InlineData("corp_1.example")]
    [InlineData("10.0.0")]
    [InlineData("198.18.2.53")]
    public void IsDomainName_UnderscoreOrNumericLastLabel_IsRefused(string text)
    {
        Assert.False(NetworkSyntax.IsDomainName(text));
    }

    [Theory]
    [InlineData("198.18.0.0/16", "198.18.128.0/24", true)]
    [InlineData("198.18.128.0/24", "198.18.0.0/16", true)]
    [InlineData("198.18.0.0/24", "198.18.1.0/24", false)]
    [InlineData("198.18.0.0/16", "2001:db8::/32", false)]
    [InlineData("2001:db8::/32", "2001:db8:80::/64", true)]
    public void Overlap_IsSymmetricAndPerFamily(string a, string b, bool expected)
    {
        Assert.Equal(expected, NetworkSyntax.Overlap(IPNetwork.Parse(a), IPNetwork.Parse(b)));
    }
}
