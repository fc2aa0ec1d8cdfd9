using System.Net;
using OpenTunnel.Gateway.Configuration;

namespace OpenTunnel.Gateway.Tests.Configuration;

[Trait("Category", "Unit")]
public sealed class SessionPolicyTests
{
    private static readonly SessionPolicy Defaults = new([Net("198.18.2.0/24")], [Net("198.18.2.128/25")], [IPAddress.Parse("198.18.2.53")], "corp.example");

    private static readonly GroupPolicy Engineering = new("eng", [Net("198.18.4.0/24")], [], ReplaceRoutes: true, [IPAddress.Parse("198.18.4.53")], "eng.example");

    private static readonly GroupPolicy Operations = new("ops", [Net("198.18.5.0/24")], [Net("198.18.5.64/26")], ReplaceRoutes: true, [IPAddress.Parse("198.18.5.53")], null);

    private static readonly GroupPolicy Sales = new("sales", [Net("198.18.6.0/24")], [], ReplaceRoutes: false, [], null);

    [Fact]
    public void Resolve_NoListedGroup_GivesTheDefaults()
    {
        SessionPolicy policy = Resolve(["finance"]);

        Assert.Same(Defaults, policy);
    }

    [Fact]
    public void Resolve_OneReplacingGroup_GivesOnlyItsRoutesDnsAndSuffix()
    {
        SessionPolicy policy = Resolve(["eng"]);

        Assert.Equal([Net("198.18.4.0/24")], policy.SplitInclude);
        Assert.Empty(policy.SplitExclude);
        Assert.Equal([IPAddress.Parse("198.18.4.53")], policy.DnsServers);
        Assert.Equal("eng.example", policy.DefaultDomain);
    }

    [Fact]
    public void Resolve_AddingGroup_GetsTheDefaultsPlusItsOwnRoutesAndTheDefaultDns()
    {
        SessionPolicy policy = Resolve(["sales"]);

        Assert.Equal([Net("198.18.2.0/24"), Net("198.18.6.0/24")], policy.SplitInclude);
        Assert.Equal([Net("198.18.2.128/25")], policy.SplitExclude);
        Assert.Equal(Defaults.DnsServers, policy.DnsServers);
        Assert.Equal("corp.example", policy.DefaultDomain);
    }

    [Fact]
    public void Resolve_TwoGroups_GivesTheUnionOfRoutesAndDnsInPolicyOrder_AndTheFirstSuffix()
    {
        SessionPolicy policy = Resolve(["ops", "eng"]);

        Assert.Equal([Net("198.18.4.0/24"), Net("198.18.5.0/24")], policy.SplitInclude);
        Assert.Equal([Net("198.18.5.64/26")], policy.SplitExclude);
        Assert.Equal([IPAddress.Parse("198.18.4.53"), IPAddress.Parse("198.18.5.53")], policy.DnsServers);
        Assert.Equal("eng.example", policy.DefaultDomain);
    }

    [Fact]
    public void Resolve_GroupWithAllTraffic_MakesTheUnionAllTraffic()
    {
        var everything = new GroupPolicy("admins", [], [], ReplaceRoutes: true, [], null);

        SessionPolicy policy = SessionPolicy.Resolve(Defaults, [Engineering, everything], ["eng", "admins"], 3);

        Assert.True(policy.AllTraffic);
        Assert.Empty(policy.SplitInclude);
    }

    [Fact]
    public void Resolve_OverlappingRoutesOfTwoGroups_KeepsOnlyTheWiderRange()
    {
        var wide = new GroupPolicy("wide", [Net("198.18.0.0/16")], [], ReplaceRoutes: true, [], null);

        SessionPolicy policy = SessionPolicy.Resolve(Defaults, [Engineering, wide], ["eng", "wide"], 3);

        Assert.Equal([Net("198.18.0.0/16")], policy.SplitInclude);
    }

    [Fact]
    public void Resolve_MoreDnsServersThanClientsTake_KeepsTheFirstOnes()
    {
        var many = new GroupPolicy("many", [Net("198.18.7.0/24")], [], ReplaceRoutes: true,
            [IPAddress.Parse("198.18.7.1"), IPAddress.Parse("198.18.7.2"), IPAddress.Parse("198.18.7.3")], null);

        SessionPolicy policy = SessionPolicy.Resolve(Defaults, [Engineering, many], ["eng", "many"], 3);

        Assert.Equal(["198.18.4.53", "198.18.7.1", "198.18.7.2"], policy.DnsServers.Select(a => a.ToString()));
    }

    [Fact]
    public void Resolve_GroupNameOfAnotherCase_DoesNotMatch()
    {
        Assert.Same(Defaults, Resolve(["ENG"]));
    }

    private static SessionPolicy Resolve(IReadOnlyList<string> groups) => SessionPolicy.Resolve(Defaults, [Engineering, Operations, Sales], groups, 3);

    private static IPNetwork Net(string text) => IPNetwork.Parse(text);
}
