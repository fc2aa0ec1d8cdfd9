using System.Net.Sockets;
using OpenTunnel.Gateway.Contracts.Network;

namespace OpenTunnel.Gateway.Contracts.Tests.Network;

[Trait("Category", "Unit")]
public sealed class ClientPoolTests
{
    [Theory]
    [InlineData("198.18.128.0/24", AddressFamily.InterNetwork)]
    [InlineData("10.0.0.0/8", AddressFamily.InterNetwork)]
    [InlineData("198.18.128.0/30", AddressFamily.InterNetwork)]
    [InlineData("2001:db8:128::/64", AddressFamily.InterNetworkV6)]
    [InlineData("2001:db8:128::/120", AddressFamily.InterNetworkV6)]
    public void TryParse_UsablePool_IsAccepted(string text, AddressFamily family)
    {
        Assert.Null(ClientPool.TryParse(text, family, out _));
    }

    // Management took these (it had no lower bound) and the gateway then refused the configuration.
    [Theory]
    [InlineData("0.0.0.0/4", AddressFamily.InterNetwork, "from /8 to /30")]
    [InlineData("2001:db8::/48", AddressFamily.InterNetworkV6, "from /64 to /120")]
    [InlineData("198.18.128.0/31", AddressFamily.InterNetwork, "from /8 to /30")]
    [InlineData("2001:db8::/121", AddressFamily.InterNetworkV6, "from /64 to /120")]
    public void TryParse_PrefixOutsideTheRange_SaysTheRange(string text, AddressFamily family, string expected)
    {
        Assert.Contains(expected, ClientPool.TryParse(text, family, out _), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2001:db8:128::/64", AddressFamily.InterNetwork, "is not an IPv4 range")]
    [InlineData("198.18.128.0/24", AddressFamily.InterNetworkV6, "is not an IPv6 range")]
    public void TryParse_OtherFamily_IsRefused(string text, AddressFamily family, string expected)
    {
        Assert.Contains(expected, ClientPool.TryParse(text, family, out _), StringComparison.Ordinal);
    }
}
