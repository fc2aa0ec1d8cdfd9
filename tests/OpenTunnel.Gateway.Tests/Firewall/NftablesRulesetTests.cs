using System.Net;
using OpenTunnel.Gateway.Firewall;

namespace OpenTunnel.Gateway.Tests.Firewall;

[Trait("Category", "Unit")]
public sealed class NftablesRulesetTests
{
    private static readonly FirewallPolicy Default = new() { TunDevice = "otun0", Pool = IPNetwork.Parse("198.18.128.0/24") };

    [Fact]
    public void Build_NoEgressInterfaces_MasqueradesTowardsEveryInterfaceButTheTun()
    {
        string script = NftablesRuleset.Build("opentunnel", Default);

        Assert.StartsWith("table inet opentunnel {}\ndelete table inet opentunnel\ntable inet opentunnel {\n", script, StringComparison.Ordinal);
        Assert.Contains("ip saddr 198.18.128.0/24 oifname != \"otun0\" masquerade", script, StringComparison.Ordinal);
        Assert.Contains("iifname \"otun0\" oifname \"otun0\" drop", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_EgressInterfacesClientToClientAndClientToHost_MasqueradesOnlyThereAndDropsNothing()
    {
        string script = NftablesRuleset.Build("gw2", Default with { EgressInterfaces = ["eth1", "eth2"], AllowClientToClient = true, AllowClientToHost = true });

        Assert.Contains("ip saddr 198.18.128.0/24 oifname \"eth1\" masquerade", script, StringComparison.Ordinal);
        Assert.Contains("ip saddr 198.18.128.0/24 oifname \"eth2\" masquerade", script, StringComparison.Ordinal);
        Assert.DoesNotContain("drop", script, StringComparison.Ordinal);
        Assert.DoesNotContain("!=", script, StringComparison.Ordinal);
        Assert.DoesNotContain("chain input", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_IPv6Pool_MasqueradesItWithIp6()
    {
        string script = NftablesRuleset.Build("opentunnel", Default with { Pool6 = IPNetwork.Parse("2001:db8:128::/64") });

        Assert.Contains("ip6 saddr 2001:db8:128::/64 oifname != \"otun0\" masquerade", script, StringComparison.Ordinal);
        Assert.Contains("ip saddr 198.18.128.0/24 oifname != \"otun0\" masquerade", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_Default_DropsClientTrafficToTheHostAndTheMetadataServices_ButNotDnsToThePushedServers()
    {
        string script = NftablesRuleset.Build("opentunnel", Default with { DnsServers = [IPAddress.Parse("198.18.128.1")] });

        Assert.Contains("    iifname \"otun0\" ip daddr 169.254.169.254 drop\n", script, StringComparison.Ordinal);
        Assert.Contains("    iifname \"otun0\" ip6 daddr fd00:ec2::254 drop\n", script, StringComparison.Ordinal);
        Assert.Contains("""
              chain input {
                type filter hook input priority filter; policy accept;
                iifname "otun0" ct state established,related accept
                iifname "otun0" ip daddr 198.18.128.1 udp dport 53 accept
                iifname "otun0" ip daddr 198.18.128.1 tcp dport 53 accept
                iifname "otun0" drop
              }

            """, script, StringComparison.Ordinal);
        Assert.DoesNotContain("@included", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_RestrictToRoutes_LetsClientsReachOnlyIncludedMinusExcludedNetworksAndTheDnsServers()
    {
        string script = NftablesRuleset.Build("opentunnel", Default with
        {
            RestrictToRoutes = true,
            SplitInclude = [IPNetwork.Parse("198.18.2.0/24"), IPNetwork.Parse("198.18.4.0/22")],
            SplitExclude = [IPNetwork.Parse("198.18.5.0/24")],
            DnsServers = [IPAddress.Parse("198.18.9.53")],
        });

        Assert.Contains("  set included4 {\n    type ipv4_addr; flags interval;\n    elements = { 198.18.2.0/24, 198.18.4.0/22 }\n  }\n", script, StringComparison.Ordinal);
        Assert.Contains("  set excluded4 {\n    type ipv4_addr; flags interval;\n    elements = { 198.18.5.0/24 }\n  }\n", script, StringComparison.Ordinal);
        Assert.Contains("  set included6 {\n    type ipv6_addr; flags interval;\n  }\n", script, StringComparison.Ordinal);
        string forward = script[script.IndexOf("chain forward", StringComparison.Ordinal)..script.IndexOf("chain input", StringComparison.Ordinal)];
        Assert.Contains("""
                iifname "otun0" oifname != "otun0" ip daddr 198.18.9.53 udp dport 53 accept
                iifname "otun0" oifname != "otun0" ip daddr 198.18.9.53 tcp dport 53 accept
                iifname "otun0" oifname != "otun0" ip daddr @excluded4 drop
                iifname "otun0" oifname != "otun0" ip daddr != @included4 drop
                iifname "otun0" oifname != "otun0" ip6 daddr @excluded6 drop
                iifname "otun0" oifname != "otun0" meta nfproto ipv6 drop

            """, forward, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_RestrictToRoutesWithoutIncludes_DropsOnlyTheExcludedNetworks()
    {
        string script = NftablesRuleset.Build("opentunnel", Default with { RestrictToRoutes = true, SplitExclude = [IPNetwork.Parse("198.18.3.0/24")] });

        Assert.Contains("ip daddr @excluded4 drop", script, StringComparison.Ordinal);
        Assert.DoesNotContain("@included", script[script.IndexOf("chain forward", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.DoesNotContain("meta nfproto", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Remove_DeletesOnlyTheGatewayTable()
    {
        Assert.Equal("delete table inet opentunnel\n", NftablesRuleset.Remove("opentunnel"));
    }

    [Fact]
    public void Build_PerSession_HoldsEachSessionToItsOwnSetsAndCountsTheDrops()
    {
        var policy = Default with { PerSession = true, RestrictToRoutes = true, SplitInclude = [IPNetwork.Parse("198.18.2.0/24")] };
        SessionRules alice = new(IPAddress.Parse("198.18.128.2"), null, [IPNetwork.Parse("198.18.2.0/24")], [IPNetwork.Parse("198.18.2.128/25")]);
        SessionRules bob = new(IPAddress.Parse("198.18.128.3"), IPAddress.Parse("2001:db8:128::3"), null, []);

        string script = NftablesRuleset.Build("opentunnel", policy, [alice, bob]);

        Assert.Contains("counter policy_drops {}", script, StringComparison.Ordinal);
        Assert.Contains("set allowed4 {\n    type ipv4_addr . ipv4_addr; flags interval; elements = { 198.18.128.2 . 198.18.2.0/24 }", script, StringComparison.Ordinal);
        Assert.Contains("set denied4 {\n    type ipv4_addr . ipv4_addr; flags interval; elements = { 198.18.128.2 . 198.18.2.128/25 }", script, StringComparison.Ordinal);
        Assert.Contains("set open4 {\n    type ipv4_addr; elements = { 198.18.128.3 }", script, StringComparison.Ordinal);
        Assert.Contains("set open6 {\n    type ipv6_addr; elements = { 2001:db8:128::3 }", script, StringComparison.Ordinal);
        Assert.Contains("iifname \"otun0\" oifname != \"otun0\" ip saddr . ip daddr @denied4 counter name \"policy_drops\" drop", script, StringComparison.Ordinal);
        Assert.Contains("iifname \"otun0\" oifname != \"otun0\" ip saddr != @open4 ip saddr . ip daddr != @allowed4 counter name \"policy_drops\" drop", script, StringComparison.Ordinal);
        Assert.Contains("ip6 saddr != @open6 ip6 saddr . ip6 daddr != @allowed6", script, StringComparison.Ordinal);

        // The table-wide restriction gives way to the sessions' own.
        Assert.DoesNotContain("@included4", script, StringComparison.Ordinal);
    }

    [Fact]
    public void SessionElements_AddThenDelete_NameTheSessionsElementsInOneScript()
    {
        SessionRules alice = new(IPAddress.Parse("198.18.128.2"), null, [IPNetwork.Parse("198.18.2.0/24"), IPNetwork.Parse("2001:db8:2::/64")], []);

        Assert.Equal("add element inet opentunnel allowed4 { 198.18.128.2 . 198.18.2.0/24 }\n", NftablesRuleset.SessionElements("opentunnel", alice, add: true));
        Assert.Equal("delete element inet opentunnel allowed4 { 198.18.128.2 . 198.18.2.0/24 }\n", NftablesRuleset.SessionElements("opentunnel", alice, add: false));
    }
}
