using System.Text.Json.Nodes;
using OpenTunnel.Agent.Configuration;
using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Agent.Tests.Configuration;

[Trait("Category", "Unit")]
public sealed class GatewayConfigurationMergeTests
{
    private static readonly JsonObject GatewayFile = JsonNode.Parse("""
        {
          "DataDirectory": "/var/lib/opentunnel-gateway",
          "listener": { "Address": "198.18.1.1", "port": 4443 },
          "network": { "iPv4Pool": "198.18.128.0/24", "TunDevice": "otun0", "dnsServers": ["198.18.2.53"] },
          "Auth": { "Issuer": "https://issuer.test", "Audience": "gw", "JwksFile": "/keys.json" }
        }
        """)!.AsObject();

    [Fact]
    public void Merge_LoadBalancing_WritesTheWholeSectionTheGatewayReads_AndWithoutOneLeavesTheFile()
    {
        var reported = new DateTime(2026, 12, 3, 8, 15, 0, DateTimeKind.Utc);
        var balancing = new LoadBalancingConfiguration("redirect", 25, [new PeerConfiguration("vpn2.example.com:443", 12, null, true, false, reported)]);
        var file = GatewayFile.DeepClone().AsObject();
        file["loadBalancing"] = new JsonObject { ["Mode"] = "Off", ["StaleSeconds"] = 300 };

        JsonObject merged = GatewayConfigurationMerge.Merge(file, Configuration() with { LoadBalancing = balancing }).Document;
        JsonObject untouched = GatewayConfigurationMerge.Merge(file, Configuration()).Document;

        JsonObject section = merged["loadBalancing"]!.AsObject();
        Assert.Equal("Redirect", section["Mode"]!.GetValue<string>());
        Assert.Equal(25, section["ThresholdPercent"]!.GetValue<int>());
        Assert.Equal(300, section["StaleSeconds"]!.GetValue<int>());
        JsonObject peer = Assert.Single(section["Peers"]!.AsArray())!.AsObject();
        Assert.Equal("vpn2.example.com:443", peer["Address"]!.GetValue<string>());
        Assert.Equal(12, peer["Sessions"]!.GetValue<int>());
        Assert.True(peer["Healthy"]!.GetValue<bool>());
        Assert.Equal("2026-12-03T08:15:00.0000000+00:00", peer["ReportedAt"]!.GetValue<string>());
        Assert.Equal("Off", untouched["loadBalancing"]!["Mode"]!.GetValue<string>());
    }

    [Fact]
    public void Merge_GroupPolicies_WriteTheGatewaysEntries_AndWithoutAnyClearTheFilesOwn()
    {
        var file = GatewayFile.DeepClone().AsObject();
        file["network"]!["groupPolicies"] = new JsonArray(new JsonObject { ["Group"] = "local" });
        var eng = new GroupPolicyConfiguration("eng", ["198.18.4.0/24"], ["198.18.4.128/25"], ReplaceRoutes: true, ["198.18.4.53"], "eng.example");
        EffectiveConfiguration configuration = Configuration();

        JsonObject merged = GatewayConfigurationMerge.Merge(file, configuration with { Tunnel = configuration.Tunnel with { GroupPolicies = [eng] } }).Document;
        JsonObject cleared = GatewayConfigurationMerge.Merge(file, configuration).Document;

        JsonObject entry = Assert.Single(merged["network"]!["GroupPolicies"]!.AsArray())!.AsObject();
        Assert.Equal("eng", entry["Group"]!.GetValue<string>());
        Assert.Equal(["198.18.4.0/24"], entry["SplitInclude"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["198.18.4.128/25"], entry["SplitExclude"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.True(entry["ReplaceRoutes"]!.GetValue<bool>());
        Assert.Equal(["198.18.4.53"], entry["DnsServers"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("eng.example", entry["DefaultDomain"]!.GetValue<string>());
        Assert.Empty(cleared["network"]!["GroupPolicies"]!.AsArray());
        Assert.Null(cleared["network"]!["groupPolicies"]);
    }

    [Fact]
    public void Merge_UnmanagedAccess_WritesTheGatewaysSetting_AndWithoutItRemovesTheFilesOwn()
    {
        var file = GatewayFile.DeepClone().AsObject();
        file["network"]!["unmanagedAccess"] = new JsonObject { ["SplitInclude"] = new JsonArray("198.18.9.0/24") };
        EffectiveConfiguration configuration = Configuration();
        var access = new UnmanagedAccessConfiguration(["198.18.7.0/24"], ["198.18.7.53"], "web.example");

        JsonObject merged = GatewayConfigurationMerge.Merge(file, configuration with { Tunnel = configuration.Tunnel with { UnmanagedAccess = access } }).Document;
        JsonObject cleared = GatewayConfigurationMerge.Merge(file, configuration).Document;

        JsonObject written = merged["network"]!["UnmanagedAccess"]!.AsObject();
        Assert.Equal(["198.18.7.0/24"], written["SplitInclude"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["198.18.7.53"], written["DnsServers"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("web.example", written["DefaultDomain"]!.GetValue<string>());
        Assert.Null(merged["network"]!["unmanagedAccess"]);
        Assert.Null(cleared["network"]!["UnmanagedAccess"]);
        Assert.Null(cleared["network"]!["unmanagedAccess"]);
    }

    [Fact]
    public void Merge_ManagedSettings_ReplaceKeysOfAnyCase_AndKeepLocalOnes()
    {
        GatewayConfigurationMerge.Result merged = GatewayConfigurationMerge.Merge(GatewayFile, Configuration());
        JsonObject network = merged.Document["network"]!.AsObject();

        Assert.Equal(["198.18.2.54", "198.18.2.55"], network["DnsServers"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("corp.test", network["DefaultDomain"]!.GetValue<string>());
        Assert.Equal(["198.18.2.0/24"], network["SplitInclude"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("otun0", network["TunDevice"]!.GetValue<string>());
        Assert.False(merged.Document.ContainsKey("Network"));
        Assert.False(network.ContainsKey("dnsServers"));
        Assert.False(network.ContainsKey("iPv4Pool"));
        Assert.Equal(443, merged.Document["listener"]!["Port"]!.GetValue<int>());
        Assert.Equal("198.18.1.1", merged.Document["listener"]!["Address"]!.GetValue<string>());
        Assert.Equal(1800, merged.Document["Timeouts"]!["IdleTimeoutSeconds"]!.GetValue<int>());
        Assert.Equal("/keys.json", merged.Document["Auth"]!["JwksFile"]!.GetValue<string>());
        Assert.Empty(merged.Notes);
    }

    [Fact]
    public void Merge_PushedCaPin_ReplacesTheServersCaFile_AndWithoutOneAPinPushedEarlierGoes()
    {
        const string pin = "pin-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        JsonObject file = JsonNode.Parse("""{ "Auth": { "Issuer": "https://issuer.test", "Audience": "gw", "CaFile": "/etc/opentunnel/ca.pem" } }""")!.AsObject();
        var auth = new GatewayAuthConfiguration("https://mgmt.test:9443/", "opentunnel-gateway", null, true, [], null, null, pin);

        JsonObject pinned = GatewayConfigurationMerge.Merge(file, Configuration() with { Auth = auth }).Document;
        JsonObject unpinned = GatewayConfigurationMerge.Merge(pinned, Configuration() with { Auth = auth with { Issuer = "https://login.example/", CaPin = null } }).Document;
        JsonObject keptFile = GatewayConfigurationMerge.Merge(file, Configuration() with { Auth = auth with { CaPin = null } }).Document;

        Assert.Equal(pin, pinned["Auth"]!["CaPin"]!.GetValue<string>());
        Assert.False(pinned["Auth"]!.AsObject().ContainsKey("CaFile"));
        Assert.False(unpinned["Auth"]!.AsObject().ContainsKey("CaPin"));
        Assert.Equal("/etc/opentunnel/ca.pem", keptFile["Auth"]!["CaFile"]!.GetValue<string>());
    }

    [Fact]
    public void Merge_WithGatewayAuth_ReplacesIssuerAndDropsTheLocalKeyFile()
    {
        EffectiveConfiguration configuration = Configuration() with
        {
            Auth = new GatewayAuthConfiguration("https://login.test", "opentunnel", null, true, [new RequiredClaimConfiguration("compliance", ["compliant"])],
                "5b0c6a53-8f3e-4d7a-9d42-0c1f2e3a4b5c", ["at+jwt"]),
        };

        JsonObject auth = GatewayConfigurationMerge.Merge(GatewayFile, configuration).Document["Auth"]!.AsObject();

        Assert.Equal("https://login.test", auth["Issuer"]!.GetValue<string>());
        Assert.False(auth.ContainsKey("JwksFile"));
        Assert.Equal("compliant", auth["RequiredClaims"]![0]!["AnyOf"]![0]!.GetValue<string>());
        Assert.Equal("5b0c6a53-8f3e-4d7a-9d42-0c1f2e3a4b5c", auth["RequiredSite"]!.GetValue<string>());
        Assert.Equal("at+jwt", auth["ValidTypes"]![0]!.GetValue<string>());
    }

    [Fact]
    public void Merge_SeveralSuffixes_SaySoInNotes()
    {
        EffectiveConfiguration configuration = Configuration();
        configuration = configuration with { Tunnel = configuration.Tunnel with { DnsSuffixes = ["a.test", "b.test"] } };

        IReadOnlyList<string> notes = GatewayConfigurationMerge.Merge(GatewayFile, configuration).Notes;

        Assert.Contains(notes, n => n.Contains("Only the first DNS suffix (a.test)", StringComparison.Ordinal));
    }

    [Fact]
    public void Merge_SiteWithAnIpv6Range_GivesTheGatewayItsIPv6Pool()
    {
        EffectiveConfiguration configuration = Configuration();
        configuration = configuration with { Tunnel = configuration.Tunnel with { Ipv6Range = "2001:db8:128::/64" } };

        GatewayConfigurationMerge.Result merged = GatewayConfigurationMerge.Merge(GatewayFile, configuration);

        Assert.Equal("2001:db8:128::/64", merged.Document["network"]!["IPv6Pool"]!.GetValue<string>());
        Assert.Empty(merged.Notes);
    }

    [Fact]
    public void Merge_SiteWithoutAnIpv6Range_RemovesTheFilesIPv6Pool()
    {
        JsonObject file = GatewayFile.DeepClone().AsObject();
        file["network"]!["ipv6Pool"] = "2001:db8:129::/64";

        JsonObject document = GatewayConfigurationMerge.Merge(file, Configuration()).Document;

        Assert.DoesNotContain(document["network"]!.AsObject(), p => string.Equals(p.Key, "IPv6Pool", StringComparison.OrdinalIgnoreCase));
    }

    private static EffectiveConfiguration Configuration() => new(
        "1.1.abc",
        Guid.NewGuid(),
        "site",
        1,
        Guid.NewGuid(),
        "cfg",
        1,
        new TunnelConfiguration("198.18.128.0/24", null, ["198.18.2.54", "198.18.2.55"], ["corp.test"], [], ["198.18.2.0/24"], [], 443, false, null, 30, false),
        null,
        null);
}
