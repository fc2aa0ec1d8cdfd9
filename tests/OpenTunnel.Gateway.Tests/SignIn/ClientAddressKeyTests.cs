using System.Net;
using OpenTunnel.Gateway.SignIn;

namespace OpenTunnel.Gateway.Tests.SignIn;

[Trait("Category", "Unit")]
public sealed class ClientAddressKeyTests
{
    [Theory]
    [InlineData("198.18.1.2", "198.18.1.2")]
    [InlineData(" 198.18.1.2 ", "198.18.1.2")]
    [InlineData("::ffff:198.18.1.2", "198.18.1.2")]
    [InlineData("2001:db8:1::/64", "2001:db8:1::/64")]
    [InlineData("2001:db8:1::5", "2001:db8:1::/64")]
    public void TryParse_WhatBansListsOrAnAddressItCovers_GivesTheKey(string text, string expected)
    {
        Assert.True(ClientAddressKey.TryParse(text, out var key));
        Assert.Equal(expected, key.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("alice")]
    [InlineData("2001:db8::/48")]
    [InlineData("198.18.1.0/24")]
    [InlineData("fe80::1%eth0")]
    public void TryParse_NotAClient_IsRefused(string text)
    {
        Assert.False(ClientAddressKey.TryParse(text, out _));
    }

    [Fact]
    public void TryParse_RoundTripsToString()
    {
        var key = ClientAddressKey.From(IPAddress.Parse("2001:db8:7:8:1:2:3:4"));

        Assert.True(ClientAddressKey.TryParse(key.ToString(), out var parsed));
        Assert.Equal(key, parsed);
    }
}
