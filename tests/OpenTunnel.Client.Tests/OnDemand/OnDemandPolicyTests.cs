using OpenTunnel.Client.OnDemand;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Tests.OnDemand;

[Trait("Category", "Unit")]
public sealed class OnDemandPolicyTests
{
    private static readonly DeviceOnDemandRule[] Rules =
    [
        new("fqdns", ["public.corp.test"], "disconnect"),
        new("domains", ["corp.test"], "connect"),
        new("domains", ["lab.test."], "evaluate"),
        new("ipRanges", ["198.18.2.0/24"], "connect"),
        new("fqdns", ["www.example.test"], "ignore"),
    ];

    [Theory]
    [InlineData("app.corp.test", OnDemandDecision.Connect)]
    [InlineData("CORP.test.", OnDemandDecision.Connect)]
    [InlineData("public.corp.test", OnDemandDecision.Disconnect)]
    [InlineData("x.lab.test", OnDemandDecision.Evaluate)]
    [InlineData("www.example.test", OnDemandDecision.Ignore)]
    [InlineData("notcorp.test", OnDemandDecision.None)]
    [InlineData("198.18.2.10", OnDemandDecision.None)]
    public void ForName_FirstMatchingRuleDecides(string name, OnDemandDecision expected)
    {
        Assert.Equal(expected, OnDemandPolicy.ForName(Rules, name));
    }

    [Fact]
    public void TrustedSuffix_SameOrBelowATrustedSuffix()
    {
        Assert.Equal("office.corp.test", OnDemandPolicy.TrustedSuffix(["home.test", "office.corp.test"], ["corp.test"]));
        Assert.Equal("corp.test", OnDemandPolicy.TrustedSuffix(["corp.test."], ["CORP.test"]));
        Assert.Null(OnDemandPolicy.TrustedSuffix(["notcorp.test"], ["corp.test"]));
        Assert.Null(OnDemandPolicy.TrustedSuffix([], ["corp.test"]));
    }

    [Fact]
    public void ConnectRanges_OnlyTheIpRangesOfConnectRules()
    {
        Assert.Equal([System.Net.IPNetwork.Parse("198.18.2.0/24")], RangeTrap.ConnectRanges([.. Rules, new DeviceOnDemandRule("ipRanges", ["2001:db8:2::/64"], "disconnect")]));
    }

    [Fact]
    public void ActsOnNames_OnlyForNameRulesThatMoveTheTunnel()
    {
        Assert.True(OnDemandPolicy.ActsOnNames(Rules));
        Assert.False(OnDemandPolicy.ActsOnNames([new DeviceOnDemandRule("ipRanges", ["198.18.2.0/24"], "connect"), new DeviceOnDemandRule("domains", ["corp.test"], "ignore")]));
    }
}
