using System.Net;
using OpenTunnel.Gateway.Firewall;

namespace OpenTunnel.Gateway.Tests.Firewall;

[Trait("Category", "Unit")]
public sealed class NftablesRulesetTests
{
    [Fact]
    public void Build_NoEgressInterfaces_MasqueradesTowardsEveryInterfaceButTheTun()
    {
        string script = NftablesRuleset.Build("opentunnel", "otun0", IPNetwork.Parse("198.18.128.0/24"), null, [], allowClientToClient: false);

        Assert.StartsWith("table inet opentunnel {}\ndelete table inet opentunnel\ntable inet opentunnel {\n", script, StringComparison.Ordinal);
        Assert.Contains("ip saddr 198.18.128.0/24 oifname != \"otun0\" masquerade", script, StringComparison.Ordinal);
        Assert.Contains("iifname \"otun0\" oifname \"otun0\" drop", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_EgressInterfacesAndClientToClient_MasqueradesOnlyThereAndDropsNothing()
    {
        string script = NftablesRuleset.Build("gw2", "otun0", IPNetwork.Parse("198.18.128.0/24"), null, ["eth1", "eth2"], allowClientToClient: true);

        Assert.Contains("ip saddr 198.18.128.0/24 oifname \"eth1\" masquerade", script, StringComparison.Ordinal);
        Assert.Contains("ip saddr 198.18.128.0/24 oifname \"eth2\" masquerade", script, StringComparison.Ordinal);
        Assert.DoesNotContain("drop", script, StringComparison.Ordinal);
        Assert.DoesNotContain("!=", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_IPv6Pool_MasqueradesItWithIp6()
    {
        string script = NftablesRuleset.Build("opentunnel", "otun0", IPNetwork.Parse("198.18.128.0/24"), IPNetwork.Parse("2001:db8:128::/64"), [], allowClientToClient: false);

        Assert.Contains("ip6 saddr 2001:db8:128::/64 oifname != \"otun0\" masquerade", script, StringComparison.Ordinal);
        Assert.Contains("ip saddr 198.18.128.0/24 oifname != \"otun0\" masquerade", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Remove_DeletesOnlyTheGatewayTable()
    {
        Assert.Equal("delete table inet opentunnel\n", NftablesRuleset.Remove("opentunnel"));
    }
}
