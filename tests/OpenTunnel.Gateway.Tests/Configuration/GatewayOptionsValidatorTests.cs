using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;

namespace OpenTunnel.Gateway.Tests.Configuration;

[Trait("Category", "Unit")]
public sealed class GatewayOptionsValidatorTests
{
    internal static GatewayOptions Valid() => new()
    {
        DataDirectory = "/var/lib/opentunnel-test",
        Network = new NetworkOptions { IPv4Pool = "198.18.128.0/24", SplitInclude = ["198.18.2.0/24"], DnsServers = ["198.18.2.53"], DefaultDomain = "corp.example" },
        Auth = new AuthOptions { Issuer = "https://issuer.test", Audience = "gateway", JwksFile = "/var/lib/opentunnel-test/jwks.json" },
    };

    [Fact]
    public void Validate_SampleConfiguration_HasNoErrors()
    {
        Assert.Empty(GatewayOptionsValidator.Validate(Valid()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(366)]
    public void Validate_ExpiryWarningDaysOutOfRange_NamesTheSetting(int days)
    {
        var options = Valid() with { Tls = new TlsOptions { ExpiryWarningDays = days } };

        Assert.Equal([$"Tls:ExpiryWarningDays must be 1 to 365 (got {days})."], GatewayOptionsValidator.Validate(options));
    }

    [Fact]
    public void Validate_BadLoadBalancing_NamesEachSettingAndPeer()
    {
        var options = Valid() with
        {
            LoadBalancing = new LoadBalancingOptions
            {
                Mode = LoadBalancingMode.Redirect,
                ThresholdPercent = -1,
                StaleSeconds = 5,
                Peers =
                [
                    new PeerOptions { Address = "198.18.0.3:443", Sessions = 1 },
                    new PeerOptions { Address = "2001:db8::3:443" },
                    new PeerOptions { Address = "vpn2.example.com", Sessions = -2, CpuPercent = 140 },
                ],
            },
        };

        var errors = GatewayOptionsValidator.Validate(options);

        Assert.Equal(
            [
                "LoadBalancing:ThresholdPercent must be from 0 to 1000 (got -1).",
                "LoadBalancing:StaleSeconds must be from 10 to 3600 (got 5).",
                "LoadBalancing:Peers:1:Address '2001:db8::3:443' is not host:port (an IPv6 address goes in brackets), for example vpn1.example.com:443.",
                "LoadBalancing:Peers:2:Address 'vpn2.example.com' is not host:port (an IPv6 address goes in brackets), for example vpn1.example.com:443.",
                "LoadBalancing:Peers:2:Sessions must not be negative (got -2).",
                "LoadBalancing:Peers:2:CpuPercent must be from 0 to 100 (got 140).",
            ],
            errors);
    }

    [Fact]
    public void Validate_BadUdpSetting_NamesIt()
    {
        var options = Valid() with { Udp = new OpenTunnel.Gateway.Dtls.DtlsOptions { MaxConcurrentHandshakes = 0 } };

        var errors = GatewayOptionsValidator.Validate(options);

        Assert.Contains(errors, e => e.StartsWith("Udp:MaxConcurrentHandshakes", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_501Routes_NamesBothSettingsAndTheLimit()
    {
        var include = Enumerable.Range(0, 300).Select(i => $"10.{i / 256}.{i % 256}.0/24").ToArray();
        var exclude = Enumerable.Range(0, 201).Select(i => $"172.16.{i}.0/24").ToArray();
        var options = Valid() with { Network = Valid().Network with { SplitInclude = include, SplitExclude = exclude } };

        var errors = GatewayOptionsValidator.Validate(options);

        Assert.Contains(errors, e => e.StartsWith("Network:SplitInclude and Network:SplitExclude hold 501 routes", StringComparison.Ordinal) && e.Contains("at most 500", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_500Routes_IsAccepted()
    {
        var include = Enumerable.Range(0, 500).Select(i => $"10.{i / 256}.{i % 256}.0/24").ToArray();
        var options = Valid() with { Network = Valid().Network with { SplitInclude = include } };

        Assert.Empty(GatewayOptionsValidator.Validate(options));
    }

    [Fact]
    public void Validate_OverlappingIncludes_NamesBothEntries()
    {
        var options = Valid() with { Network = Valid().Network with { SplitInclude = ["10.0.0.0/8", "10.1.0.0/16"] } };

        var errors = GatewayOptionsValidator.Validate(options);

        Assert.Contains("Network:SplitInclude:1 '10.1.0.0/16' overlaps Network:SplitInclude:0 '10.0.0.0/8': list each range once.", errors);
    }

    [Fact]
    public void Validate_RouteOverlappingThePool_IsRefused()
    {
        var options = Valid() with { Network = Valid().Network with { SplitExclude = ["198.18.128.128/25"] } };

        var errors = GatewayOptionsValidator.Validate(options);

        Assert.Contains(errors, e => e.StartsWith("Network:SplitExclude:0 '198.18.128.128/25' overlaps the client address pool 198.18.128.0/24", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("10.0.0.0", "has no prefix length")]
    [InlineData("10.0.0.1/24", "has bits set after the prefix; did you mean 10.0.0.0/24?")]
    [InlineData("10.0.0.0/33", "has prefix length '33'; it must be a number from 0 to 32")]
    public void Validate_BadRoute_SaysWhatIsWrong(string route, string expected)
    {
        var options = Valid() with { Network = Valid().Network with { SplitInclude = [route] } };

        var errors = GatewayOptionsValidator.Validate(options);

        Assert.Contains(errors, e => e.StartsWith($"Network:SplitInclude:0 '{route}' {expected}", StringComparison.Ordinal));
    }

    // The management service's rules, which the gateway shares: it took all of these before.
    [Theory]
    [InlineData("route", "10.0/16", "Network:SplitInclude:0 '10.0/16' does not start with an IPv4 or IPv6 address.")]
    [InlineData("dns", "10", "Network:DnsServers:0 '10' is not an IP address.")]
    [InlineData("domain", "corp_1.example", "Network:DefaultDomain 'corp_1.example' is not a DNS domain name.")]
    [InlineData("domain", "10.0.0", "Network:DefaultDomain '10.0.0' is not a DNS domain name.")]
    public void Validate_ManagementNetworkRules_AreTheGatewaysToo(string setting, string value, string expected)
    {
        var network = setting switch
        {
            "route" => Valid().Network with { SplitInclude = [value] },
            "dns" => Valid().Network with { DnsServers = [value] },
            _ => Valid().Network with { DefaultDomain = value },
        };

        Assert.Contains(expected, GatewayOptionsValidator.Validate(Valid() with { Network = network }));
    }

    [Fact]
    public void Validate_RestrictToRoutesWithoutManagedFirewall_IsRefusedNamingBoth()
    {
        var options = Valid() with { Network = Valid().Network with { RestrictToRoutes = true, ManageFirewall = false } };

        Assert.Contains("Network:RestrictToRoutes needs Network:ManageFirewall: the routes are enforced in the gateway's nftables table.", GatewayOptionsValidator.Validate(options));
    }

    [Theory]
    [InlineData("198.18.128.0/31", "prefix must be from /8 to /30")]
    [InlineData("2001:db8::/64", "is not an IPv4 range")]
    [InlineData("nonsense", "has no prefix length")]
    [InlineData("169.254.169.0/24", "holds no address a client may lease")]
    [InlineData("169.254.0.0/23", "holds no address a client may lease")]
    public void Validate_BadPool_NamesIPv4Pool(string pool, string expected)
    {
        var options = Valid() with { Network = Valid().Network with { IPv4Pool = pool, SplitInclude = [] } };

        var errors = GatewayOptionsValidator.Validate(options);

        Assert.Contains(errors, e => e.StartsWith("Network:IPv4Pool", StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("2001:db8:128::/48", "from /64 to /120")]
    [InlineData("198.18.129.0/24", "is not an IPv6 range")]
    public void Validate_BadIPv6Pool_NamesIPv6Pool(string pool, string expected)
    {
        var options = Valid() with { Network = Valid().Network with { IPv6Pool = pool } };

        Assert.Contains(GatewayOptionsValidator.Validate(options), e => e.StartsWith("Network:IPv6Pool", StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_IPv6RouteOverlappingTheIPv6Pool_IsRefused()
    {
        var options = Valid() with { Network = Valid().Network with { IPv6Pool = "2001:db8:128::/64", SplitInclude = ["2001:db8::/32"] } };

        Assert.Contains(GatewayOptionsValidator.Validate(options), e => e.Contains("overlaps the client address pool 2001:db8:128::/64", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_FourDnsServers_IsRefused()
    {
        var options = Valid() with { Network = Valid().Network with { DnsServers = ["198.18.2.1", "198.18.2.2", "198.18.2.3", "198.18.2.4"] } };

        Assert.Contains("Network:DnsServers lists 4 servers; clients take at most 3.", GatewayOptionsValidator.Validate(options));
    }

    [Fact]
    public void Validate_BadValuesEverywhere_ReportsEachSetting()
    {
        var options = Valid() with
        {
            DataDirectory = "relative/dir",
            Listener = new ListenerOptions { Address = "any", Port = 0 },
            Tls = new TlsOptions { KeyFile = "/etc/key.pem" },
            Network = Valid().Network with { TunDevice = "a-very-long-device-name", TunQueueLength = 50, Mtu = 100, DefaultDomain = "bad domain", NftablesTable = "my-table" },
            Timeouts = new TimeoutOptions { DpdSeconds = 1, CookieTimeoutSeconds = 0 },
            Limits = new LimitOptions { MaxSessions = 0, SendQueuePackets = 1, PreAuthTimeoutSeconds = 1, MaxPreAuthConnections = 0, BanScore = -1, BanPointsRefusedSignIn = 1001, BanPointsMalformedRequest = -1, BanScoreResetSeconds = 0, BanSeconds = 0 },
            Metrics = new MetricsOptions { Address = "localhost:9464" },
            Auth = new AuthOptions(),
        };

        var errors = GatewayOptionsValidator.Validate(options);

        foreach (string setting in new[]
        {
            "DataDirectory", "Listener:Address", "Listener:Port", "Tls:KeyFile", "Network:TunDevice", "Network:TunQueueLength", "Network:Mtu", "Network:DefaultDomain",
            "Network:NftablesTable", "Timeouts:DpdSeconds", "Timeouts:CookieTimeoutSeconds", "Limits:MaxSessions", "Limits:SendQueuePackets",
            "Limits:PreAuthTimeoutSeconds", "Limits:MaxPreAuthConnections", "Limits:BanScore", "Limits:BanPointsRefusedSignIn", "Limits:BanPointsMalformedRequest",
            "Limits:BanScoreResetSeconds", "Limits:BanSeconds",
            "Metrics:Address", "Auth:Issuer", "Auth:Audience",
        })
        {
            Assert.Contains(errors, e => e.StartsWith(setting, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Validate_PerAddressPreAuthLimitAboveTheBudget_RefusedNamingBoth()
    {
        var options = Valid() with { Limits = new LimitOptions { MaxPreAuthConnections = 8, MaxPreAuthPerAddress = 16 } };

        var error = Assert.Single(GatewayOptionsValidator.Validate(options));

        Assert.StartsWith("Limits:MaxPreAuthPerAddress (16) must not exceed Limits:MaxPreAuthConnections (8)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_GoodGroupPolicies_HasNoErrors()
    {
        var options = Valid() with { Network = Valid().Network with { GroupPolicies = [new GroupPolicyOptions { Group = "eng", SplitInclude = ["198.18.4.0/24"], DnsServers = ["198.18.4.53"], DefaultDomain = "eng.example" }] } };

        Assert.Empty(GatewayOptionsValidator.Validate(options));
    }

    [Fact]
    public void Validate_BadGroupPolicies_NameTheGroupEntryAndSetting()
    {
        var options = Valid() with
        {
            Network = Valid().Network with
            {
                ManageFirewall = false,
                GroupPolicies =
                [
                    new GroupPolicyOptions { Group = "eng", SplitInclude = ["198.18.4.0/24", "198.18.4.128/25", "198.18.128.0/25"], DnsServers = ["not-an-address"], DefaultDomain = "-bad-" },
                    new GroupPolicyOptions { Group = "eng", SplitExclude = ["198.18.5.1/24"] },
                    new GroupPolicyOptions { Group = " " },
                ],
            },
        };

        IReadOnlyList<string> errors = GatewayOptionsValidator.Validate(options);

        Assert.Contains("Network:GroupPolicies needs Network:ManageFirewall: each session's routes are enforced in the gateway's nftables table.", errors);
        Assert.Contains("Network:GroupPolicies:0:SplitInclude:1 '198.18.4.128/25' overlaps Network:GroupPolicies:0:SplitInclude:0 '198.18.4.0/24': list each range once.", errors);
        Assert.Contains(errors, e => e.StartsWith("Network:GroupPolicies:0:SplitInclude:2 '198.18.128.0/25' overlaps the client address pool", StringComparison.Ordinal));
        Assert.Contains("Network:GroupPolicies:0:DnsServers:0 'not-an-address' is not an IP address.", errors);
        Assert.Contains("Network:GroupPolicies:0:DefaultDomain '-bad-' is not a DNS domain name.", errors);
        Assert.Contains("Network:GroupPolicies:1:Group 'eng' is listed twice; give each group one policy.", errors);
        Assert.Contains("Network:GroupPolicies:1:SplitExclude:0 '198.18.5.1/24' has bits set after the prefix; did you mean 198.18.5.0/24?", errors);
        Assert.Contains("Network:GroupPolicies:2:Group must name a group (a value of the token's groups claim).", errors);
    }

    [Fact]
    public void Validate_GroupPoliciesWhoseUnionExceedsTheRouteLimit_IsRefused()
    {
        // 2 groups of 300 distinct /24s each: each alone is within 500, a member of both is not.
        GroupPolicyOptions Group(string name, int first) => new() { Group = name, ReplaceRoutes = true, SplitInclude = [.. Enumerable.Range(first, 300).Select(i => $"10.{i / 256}.{i % 256}.0/24")] };
        var options = Valid() with { Network = Valid().Network with { GroupPolicies = [Group("a", 0), Group("b", 300)] } };

        Assert.Contains("Network:GroupPolicies give a member of every group 601 routes (include and exclude, with the defaults); at most 500 are allowed.", GatewayOptionsValidator.Validate(options));
    }

    [Fact]
    public void Validate_GoodUnmanagedAccess_HasNoErrors()
    {
        var options = Valid() with { Network = Valid().Network with { UnmanagedAccess = new UnmanagedAccessOptions { SplitInclude = ["198.18.7.0/24"], DnsServers = ["198.18.7.53"], DefaultDomain = "web.example" } } };

        Assert.Empty(GatewayOptionsValidator.Validate(options));
    }

    [Fact]
    public void Validate_BadUnmanagedAccess_NamesTheSetting()
    {
        var options = Valid() with
        {
            Network = Valid().Network with
            {
                ManageFirewall = false,
                UnmanagedAccess = new UnmanagedAccessOptions { SplitInclude = ["198.18.7.0/24", "198.18.7.128/25", "198.18.128.0/25", "198.18.8.1/24"], DnsServers = ["not-an-address", "1.1.1.1", "1.0.0.1", "9.9.9.9"], DefaultDomain = "-bad-" },
            },
        };

        IReadOnlyList<string> errors = GatewayOptionsValidator.Validate(options);

        Assert.Contains("Network:UnmanagedAccess needs Network:ManageFirewall: the routes of unmanaged devices are enforced in the gateway's nftables table.", errors);
        Assert.Contains("Network:UnmanagedAccess:SplitInclude:1 '198.18.7.128/25' overlaps Network:UnmanagedAccess:SplitInclude:0 '198.18.7.0/24': list each range once.", errors);
        Assert.Contains(errors, e => e.StartsWith("Network:UnmanagedAccess:SplitInclude:2 '198.18.128.0/25' overlaps the client address pool", StringComparison.Ordinal));
        Assert.Contains("Network:UnmanagedAccess:SplitInclude:3 '198.18.8.1/24' has bits set after the prefix; did you mean 198.18.8.0/24?", errors);
        Assert.Contains("Network:UnmanagedAccess:DnsServers lists 4 servers; clients take at most 3.", errors);
        Assert.Contains("Network:UnmanagedAccess:DnsServers:0 'not-an-address' is not an IP address.", errors);
        Assert.Contains("Network:UnmanagedAccess:DefaultDomain '-bad-' is not a DNS domain name.", errors);
    }

    [Fact]
    public void Validate_UnmanagedAccessWithoutRoutes_IsRefused_AsItWouldMeanAllTraffic()
    {
        var options = Valid() with { Network = Valid().Network with { UnmanagedAccess = new UnmanagedAccessOptions() } };

        Assert.Equal(
            ["Network:UnmanagedAccess:SplitInclude must list at least one network: the only destinations an unmanaged device may reach."],
            GatewayOptionsValidator.Validate(options));
    }

    [Fact]
    public void Validate_UnmanagedAccessOverTheRouteLimit_IsRefused()
    {
        var options = Valid() with { Network = Valid().Network with { UnmanagedAccess = new UnmanagedAccessOptions { SplitInclude = [.. Enumerable.Range(0, 501).Select(i => $"10.{i / 256}.{i % 256}.0/24")] } } };

        Assert.Equal(["Network:UnmanagedAccess:SplitInclude holds 501 routes; at most 500 are allowed."], GatewayOptionsValidator.Validate(options));
    }

    [Fact]
    public void Validate_BrowserSignInOff_ChecksNothingOfIt()
    {
        var options = Valid() with { BrowserSignIn = new BrowserSignInOptions { Enabled = false, AttemptSeconds = 0 } };

        Assert.Empty(GatewayOptionsValidator.Validate(options));
    }

    [Fact]
    public void Validate_BadBrowserSignIn_NamesEachSetting()
    {
        var options = Valid() with
        {
            BrowserSignIn = new BrowserSignInOptions
            {
                Enabled = true,
                AuthorizationEndpoint = "http://idp.example.com/connect/authorize",
                TokenEndpoint = "token",
                PublicUrl = "https://vpn.example.com/path",
                AttemptSeconds = 5,
                TokenSeconds = 600,
            },
        };

        var errors = GatewayOptionsValidator.Validate(options);

        Assert.Equal(
            [
                "BrowserSignIn:AuthorizationEndpoint uses http; use https, or set BrowserSignIn:RequireHttps to false (tests and loopback only).",
                "BrowserSignIn:TokenEndpoint must be an absolute https URL (got 'token').",
                "BrowserSignIn:PublicUrl must be the gateway's absolute https URL without a path, as browsers reach it (got 'https://vpn.example.com/path').",
                "BrowserSignIn:AttemptSeconds must be from 30 to 3600 (got 5).",
                "BrowserSignIn:TokenSeconds must be from 5 to 300 (got 600).",
            ],
            errors);
    }

    [Fact]
    public void Validate_GoodBrowserSignIn_HasNoErrors()
    {
        var options = Valid() with
        {
            BrowserSignIn = new BrowserSignInOptions
            {
                Enabled = true,
                AuthorizationEndpoint = "https://manage.example.com/connect/authorize",
                TokenEndpoint = "https://manage.example.com/connect/token",
                PublicUrl = "https://vpn.example.com",
            },
        };

        Assert.Empty(GatewayOptionsValidator.Validate(options));
        Assert.Equal("https://vpn.example.com/+sso/callback", options.BrowserSignIn.RedirectUri);
    }
}
