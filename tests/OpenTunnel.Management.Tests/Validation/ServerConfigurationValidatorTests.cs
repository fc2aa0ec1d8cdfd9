using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Tests.Validation;

[Trait("Category", "Unit")]
public sealed class ServerConfigurationValidatorTests
{
    private static ServerConfiguration Valid() => new()
    {
        Name = "default",
        Ipv4Range = "198.18.128.0/24",
        Ipv6Range = "2001:db8:80::/64",
        DnsServers = ["198.18.2.53", "2001:db8:2::53"],
        DnsSuffixes = ["corp.example"],
        SplitDnsDomains = ["internal.corp.example"],
        IncludeRoutes = ["198.18.2.0/24", "2001:db8:2::/64"],
        ExcludeRoutes = ["198.18.2.128/25"],
    };

    [Fact]
    public void Validate_FullConfiguration_HasNoErrors()
    {
        Assert.True(ServerConfigurationValidator.Validate(Valid()).IsValid);
    }

    [Fact]
    public void Validate_GroupPolicies_GoodOnesPass_BadOnesNameTheGroupAndField()
    {
        ServerConfiguration good = Valid();
        good.GroupPolicies = [new GroupPolicySettings("eng", ["198.18.4.0/24"], [], ReplaceRoutes: true, ["198.18.4.53"], "eng.example")];
        ServerConfiguration bad = Valid();
        bad.GroupPolicies =
        [
            new GroupPolicySettings("eng", IncludeRoutes: ["198.18.128.0/25"], DnsSuffix: "bad_suffix"),
            new GroupPolicySettings("eng", ExcludeRoutes: ["198.18.5.0/24", "198.18.5.7/32"], DnsServers: ["198.18.5.1", "198.18.5.2", "198.18.5.3", "198.18.5.4"]),
        ];

        var errors = ServerConfigurationValidator.Validate(bad).ToDictionary();

        Assert.True(ServerConfigurationValidator.Validate(good).IsValid);
        Assert.StartsWith("'198.18.128.0/25' overlaps the client address pool", errors["groupPolicies[0].includeRoutes[0]"][0], StringComparison.Ordinal);
        Assert.Equal("'bad_suffix' is not a DNS domain name.", errors["groupPolicies[0].dnsSuffix"][0]);
        Assert.Equal("'eng' has a policy already; give each group one.", errors["groupPolicies[1].group"][0]);
        Assert.Equal("'198.18.5.7/32' overlaps groupPolicies[1].excludeRoutes[0] '198.18.5.0/24': list each range once.", errors["groupPolicies[1].excludeRoutes[1]"][0]);
        Assert.Equal("has 4 entries; clients take at most 3.", errors["groupPolicies[1].dnsServers"][0]);
    }

    [Fact]
    public void Validate_UnmanagedAccess_GoodPasses_BadNamesTheField()
    {
        ServerConfiguration good = Valid();
        good.UnmanagedAccess = new UnmanagedAccessSettings(["198.18.7.0/24"], ["198.18.7.53"], "web.example");
        ServerConfiguration bad = Valid();
        bad.UnmanagedAccess = new UnmanagedAccessSettings(["198.18.128.0/25", "198.18.7.0/24", "198.18.7.7/32", "198.18.8.1/24"], ["198.18.7.1", "198.18.7.2", "198.18.7.3", "not-an-address"], "bad_suffix");

        var errors = ServerConfigurationValidator.Validate(bad).ToDictionary();

        Assert.True(ServerConfigurationValidator.Validate(good).IsValid);
        Assert.StartsWith("'198.18.128.0/25' overlaps the client address pool", errors["unmanagedAccess.includeRoutes[0]"][0], StringComparison.Ordinal);
        Assert.Equal("'198.18.7.7/32' overlaps unmanagedAccess.includeRoutes[1] '198.18.7.0/24': list each range once.", errors["unmanagedAccess.includeRoutes[2]"][0]);
        Assert.StartsWith("'198.18.8.1/24' has bits set after the prefix", errors["unmanagedAccess.includeRoutes[3]"][0], StringComparison.Ordinal);
        Assert.Equal("has 4 entries; clients take at most 3.", errors["unmanagedAccess.dnsServers"][0]);
        Assert.Equal("'not-an-address' is not an IPv4 or IPv6 address.", errors["unmanagedAccess.dnsServers[3]"][0]);
        Assert.Equal("'bad_suffix' is not a DNS domain name.", errors["unmanagedAccess.dnsSuffix"][0]);
    }

    [Theory]
    [InlineData(0, "needs at least one route: the only destinations an unmanaged device may reach.")]
    [InlineData(501, "has 501 routes; at most 500 are allowed.")]
    public void Validate_UnmanagedAccessWithNoRoutesOrOverTheLimit_IsRefused(int count, string error)
    {
        ServerConfiguration configuration = Valid();
        configuration.UnmanagedAccess = new UnmanagedAccessSettings([.. Enumerable.Range(0, count).Select(i => $"10.{i / 256}.{i % 256}.0/24")]);

        KeyValuePair<string, string[]> only = Assert.Single(ServerConfigurationValidator.Validate(configuration).ToDictionary());

        Assert.Equal("unmanagedAccess.includeRoutes", only.Key);
        Assert.Equal([error], only.Value);
    }

    [Fact]
    public void Validate_Defaults_HaveNoErrors()
    {
        Assert.True(ServerConfigurationValidator.Validate(new ServerConfiguration { Name = "defaults" }).IsValid);
    }

    [Fact]
    public void Validate_LoadBalancing_NamesTheModeAndTheThreshold()
    {
        ServerConfiguration configuration = Valid();
        configuration.LoadBalancing = new LoadBalancingSettings("round-robin", 1001);

        var errors = ServerConfigurationValidator.Validate(configuration).ToDictionary();
        configuration.LoadBalancing = new LoadBalancingSettings(LoadBalancingSettings.Redirect, 0);

        Assert.Equal("is 'round-robin'; it is \"off\" or \"redirect\" (redirect new sign-ins to the least-loaded healthy server of the site).", errors["loadBalancing.mode"][0]);
        Assert.Equal("is 1001; it must be between 0 and 1000.", errors["loadBalancing.thresholdPercent"][0]);
        Assert.True(ServerConfigurationValidator.Validate(configuration).IsValid);
    }

    [Theory]
    [InlineData("vpn2.example.com:443", null)]
    [InlineData("[2001:db8::3]:8443", null)]
    [InlineData("198.18.0.3", "'198.18.0.3' is not host:port (an IPv6 address goes in brackets), for example vpn1.example.com:443.")]
    [InlineData("198.18.0.3:0", "'198.18.0.3:0': the port '0' is not a number from 1 to 65535.")]
    [InlineData("vpn_2.example.com:443", "'vpn_2.example.com:443': 'vpn_2.example.com' is neither an IP address nor a DNS name.")]
    public void Validate_ServerPublicAddress_IsHostAndPort(string address, string? problem)
    {
        var errors = AccessValidators.Validate(new Server { Name = "gw2", PublicAddress = address }).ToDictionary();

        if (problem is null)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.Equal(problem, errors["publicAddress"][0]);
        }
    }

    // What the gateway refuses, management refuses before storing: both run the same network rules.
    [Fact]
    public void Validate_GatewayRules_AreEnforcedBeforeStoring()
    {
        ServerConfiguration configuration = Valid();
        configuration.Ipv6Range = "2001:db8:80::/48";
        configuration.ExcludeRoutes = ["198.18.128.128/25"];
        configuration.IncludeRoutes = ["198.18.0.0/17", "198.18.2.0/24"];

        var errors = ServerConfigurationValidator.Validate(configuration).ToDictionary();

        Assert.Contains("from /64 to /120", errors["ipv6Range"][0], StringComparison.Ordinal);
        Assert.Contains("overlaps the client address pool 198.18.128.0/24", errors["excludeRoutes[0]"][0], StringComparison.Ordinal);
        Assert.Contains("overlaps includeRoutes[0] '198.18.0.0/17'", errors["includeRoutes[1]"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_IncludeRouteOverlappingPool_NamesTheRoute()
    {
        ServerConfiguration configuration = Valid();
        configuration.IncludeRoutes = ["198.18.2.0/24", "198.18.0.0/16"];

        var errors = ServerConfigurationValidator.Validate(configuration).ToDictionary();

        Assert.Contains(errors["includeRoutes[1]"], e => e.Contains("overlaps the client address pool 198.18.128.0/24", StringComparison.Ordinal));
        Assert.False(errors.ContainsKey("includeRoutes[0]"));
    }

    [Fact]
    public void Validate_IncludeRouteOverlappingIpv6Pool_IsRefused()
    {
        ServerConfiguration configuration = Valid();
        configuration.IncludeRoutes = ["2001:db8::/32"];

        Assert.True(ServerConfigurationValidator.Validate(configuration).Has("includeRoutes[0]"));
    }

    [Fact]
    public void Validate_ExcludeRouteInsidePool_IsRefused()
    {
        // The gateway refuses a split route over the pool in either list, so storing one would
        // only make the gateway refuse the whole configuration later.
        ServerConfiguration configuration = Valid();
        configuration.ExcludeRoutes = ["198.18.128.0/25"];

        Assert.Contains("overlaps the client address pool 198.18.128.0/24", ServerConfigurationValidator.Validate(configuration).ToDictionary()["excludeRoutes[0]"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500, 0, true)]
    [InlineData(0, 500, true)]
    [InlineData(250, 250, true)]
    [InlineData(251, 250, false)]
    [InlineData(501, 0, false)]
    public void Validate_SplitRoutes_CountIncludeAndExcludeTogether(int include, int exclude, bool valid)
    {
        ServerConfiguration configuration = Valid();
        configuration.IncludeRoutes = [.. Enumerable.Range(0, include).Select(i => $"198.19.{i / 256}.{i % 256}/32")];
        configuration.ExcludeRoutes = [.. Enumerable.Range(0, exclude).Select(i => $"198.19.{10 + (i / 256)}.{i % 256}/32")];

        Assert.Equal(valid, ServerConfigurationValidator.Validate(configuration).IsValid);
    }

    [Fact]
    public void Validate_DuplicateRoute_NamesTheSecond()
    {
        ServerConfiguration configuration = Valid();
        configuration.IncludeRoutes = ["198.18.2.0/24", "198.18.2.0/24"];

        Assert.Contains("list each range once", ServerConfigurationValidator.Validate(configuration).ToDictionary()["includeRoutes[1]"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("198.18.128.0/31")]
    [InlineData("2001:db8::/64")]
    [InlineData("198.18.128.0")]
    public void Validate_UnusableIpv4Pool_IsRefused(string pool)
    {
        ServerConfiguration configuration = Valid();
        configuration.Ipv4Range = pool;

        Assert.True(ServerConfigurationValidator.Validate(configuration).Has("ipv4Range"));
    }

    [Fact]
    public void Validate_TooSmallIpv6Pool_IsRefused()
    {
        ServerConfiguration configuration = Valid();
        configuration.Ipv6Range = "2001:db8:80::/124";

        Assert.True(ServerConfigurationValidator.Validate(configuration).Has("ipv6Range"));
    }

    [Fact]
    public void Validate_BadDnsEntries_NameEachIndex()
    {
        ServerConfiguration configuration = Valid();
        configuration.DnsServers = ["198.18.2.53", "dns.example", "1"];
        configuration.DnsSuffixes = ["ok.example", "not ok"];

        var errors = ServerConfigurationValidator.Validate(configuration).ToDictionary();

        Assert.Equal(["dnsServers[1]", "dnsServers[2]", "dnsSuffixes[1]"], errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Validate_TooManyDnsServers_IsRefused()
    {
        ServerConfiguration configuration = Valid();
        configuration.DnsServers = [.. Enumerable.Range(1, 9).Select(i => $"198.18.2.{i}")];

        Assert.True(ServerConfigurationValidator.Validate(configuration).Has("dnsServers"));
    }

    [Theory]
    [InlineData(0, 20, null, "port")]
    [InlineData(65536, 20, null, "port")]
    [InlineData(443, 0, null, "idleTimeoutMinutes")]
    [InlineData(443, 20, 0, "sessionTimeoutMinutes")]
    public void Validate_NumbersOutOfRange_NameTheSetting(int port, int idle, int? session, string field)
    {
        ServerConfiguration configuration = Valid();
        configuration.Port = port;
        configuration.IdleTimeoutMinutes = idle;
        configuration.SessionTimeoutMinutes = session;

        Assert.True(ServerConfigurationValidator.Validate(configuration).Has(field));
    }

    [Fact]
    public void Validate_MissingName_IsRefused()
    {
        ServerConfiguration configuration = Valid();
        configuration.Name = " ";

        Assert.Equal("is required.", ServerConfigurationValidator.Validate(configuration).ToDictionary()["name"][0]);
    }
}
