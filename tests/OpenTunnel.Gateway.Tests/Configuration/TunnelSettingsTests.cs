using System.Net;
using OpenTunnel.Gateway.Configuration;

namespace OpenTunnel.Gateway.Tests.Configuration;

[Trait("Category", "Unit")]
public sealed class TunnelSettingsTests
{
    private static readonly GroupPolicyOptions Engineering = new() { Group = "eng", SplitInclude = ["198.18.4.0/24"], ReplaceRoutes = true };

    [Fact]
    public void PolicyFor_UnmanagedDevice_GetsOnlyTheUnmanagedRoutesAndDns_WhateverItsGroups()
    {
        TunnelSettings tunnel = Settings(new UnmanagedAccessOptions { SplitInclude = ["198.18.7.0/24"], DnsServers = ["198.18.7.53"], DefaultDomain = "web.example" });

        SessionPolicy policy = tunnel.PolicyFor(["eng"], unmanaged: true)!;

        Assert.Equal([IPNetwork.Parse("198.18.7.0/24")], policy.SplitInclude);
        Assert.Empty(policy.SplitExclude);
        Assert.Equal([IPAddress.Parse("198.18.7.53")], policy.DnsServers);
        Assert.Equal("web.example", policy.DefaultDomain);
        Assert.Equal([IPNetwork.Parse("198.18.4.0/24")], tunnel.PolicyFor(["eng"], unmanaged: false)!.SplitInclude);
    }

    [Fact]
    public void PolicyFor_UnmanagedAccessWithoutDns_TakesTheNetworksDnsAndSuffix()
    {
        SessionPolicy policy = Settings(new UnmanagedAccessOptions { SplitInclude = ["198.18.7.0/24"] }).PolicyFor([], unmanaged: true)!;

        Assert.Equal([IPAddress.Parse("198.18.2.53")], policy.DnsServers);
        Assert.Equal("corp.example", policy.DefaultDomain);
    }

    [Fact]
    public void PolicyFor_UnmanagedDeviceWithoutUnmanagedAccess_IsNull_AndTheTableIsPerSessionOnlyWithAPolicy()
    {
        TunnelSettings without = Settings(null, groups: []);
        TunnelSettings with = Settings(new UnmanagedAccessOptions { SplitInclude = ["198.18.7.0/24"] }, groups: []);

        Assert.Null(without.PolicyFor([], unmanaged: true));
        Assert.Same(without.Defaults, without.PolicyFor([], unmanaged: false));
        Assert.False(without.PerSessionPolicies);
        Assert.True(with.PerSessionPolicies);
    }

    private static TunnelSettings Settings(UnmanagedAccessOptions? unmanaged, IReadOnlyList<GroupPolicyOptions>? groups = null) => TunnelSettings.From(
        GatewayOptionsValidatorTests.Valid() with
        {
            Network = GatewayOptionsValidatorTests.Valid().Network with { GroupPolicies = groups ?? [Engineering], UnmanagedAccess = unmanaged },
        });
}
