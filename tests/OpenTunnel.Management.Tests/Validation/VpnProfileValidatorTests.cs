using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Tests.Validation;

[Trait("Category", "Unit")]
public sealed class VpnProfileValidatorTests
{
    private static VpnProfile Valid() => new()
    {
        Name = "Contoso VPN",
        SiteId = Guid.NewGuid(),
        Platform = Management.Domain.Platform.Ios,
        PerAppIdentifiers = ["com.example.mail"],
        OnDemandRules =
        [
            new OnDemandRule(OnDemandMatch.Fqdns, ["intranet.corp.example"], OnDemandAction.Connect),
            new OnDemandRule(OnDemandMatch.Domains, ["corp"], OnDemandAction.Evaluate),
            new OnDemandRule(OnDemandMatch.IpRanges, ["198.18.2.0/24"], OnDemandAction.Ignore),
        ],
        Proxy = new ProxySettings(null, "proxy.corp.example", 8080, ["*.corp.example", "198.18.2.10", "198.18.3.0/24"]),
    };

    [Fact]
    public void Validate_FullProfile_HasNoErrors()
    {
        Assert.True(VpnProfileValidator.Validate(Valid()).IsValid);
    }

    [Fact]
    public void Validate_RuleValuesOfTheWrongKind_NameEachValue()
    {
        VpnProfile profile = Valid();
        profile.OnDemandRules = [new OnDemandRule(OnDemandMatch.Fqdns, ["corp", "ok.corp.example"], OnDemandAction.Connect), new OnDemandRule(OnDemandMatch.IpRanges, ["198.18.2.1/24"], OnDemandAction.Disconnect)];

        var errors = VpnProfileValidator.Validate(profile).ToDictionary();

        Assert.Equal(["onDemandRules[0].values[0]", "onDemandRules[1].values[0]"], errors.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(false, true, false)]
    [InlineData(false, false, true)]
    [InlineData(true, false, true)]
    public void Validate_LockdownWithoutAlwaysOn_IsRefused(bool alwaysOn, bool lockdown, bool valid)
    {
        VpnProfile profile = Valid();
        profile.AlwaysOn = alwaysOn;
        profile.Lockdown = lockdown;

        var errors = VpnProfileValidator.Validate(profile).ToDictionary();

        Assert.Equal(valid, errors.Count == 0);
        Assert.Equal(!valid, errors.ContainsKey("lockdown"));
    }

    [Fact]
    public void Validate_TrustedNetworkAndIdleTime_HaveNoErrors()
    {
        VpnProfile profile = Valid();
        profile.TrustedNetwork = new TrustedNetworkDetection(["office.corp.example"], "http://probe.corp.example/ok", 204);
        profile.OnDemandIdleSeconds = 600;

        Assert.True(VpnProfileValidator.Validate(profile).IsValid);
    }

    [Theory]
    [InlineData(new[] { "not a domain" }, null, null, 600, "trustedNetwork.dnsSuffixes[0]")]
    [InlineData(new string[0], null, null, 600, "trustedNetwork")]
    [InlineData(new[] { "corp.example" }, "ftp://probe.corp.example/", 200, 600, "trustedNetwork.probeUrl")]
    [InlineData(new[] { "corp.example" }, "http://probe.corp.example/", null, 600, "trustedNetwork.probeStatus")]
    [InlineData(new[] { "corp.example" }, "http://probe.corp.example/", 99, 600, "trustedNetwork.probeStatus")]
    [InlineData(new[] { "corp.example" }, null, 200, 600, "trustedNetwork.probeStatus")]
    [InlineData(new[] { "corp.example" }, null, null, 9, "onDemandIdleSeconds")]
    [InlineData(new[] { "corp.example" }, null, null, 86_401, "onDemandIdleSeconds")]
    public void Validate_BadTrustedNetworkOrIdleTime_NamesTheField(string[] suffixes, string? probeUrl, int? probeStatus, int idle, string field)
    {
        VpnProfile profile = Valid();
        profile.TrustedNetwork = new TrustedNetworkDetection([.. suffixes], probeUrl, probeStatus);
        profile.OnDemandIdleSeconds = idle;

        var errors = VpnProfileValidator.Validate(profile).ToDictionary();

        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public void Validate_TrustedNetworkAndIdleTimeWithoutRules_AreRefused()
    {
        VpnProfile profile = Valid();
        profile.OnDemandRules = [];
        profile.TrustedNetwork = new TrustedNetworkDetection(["corp.example"], null, null);
        profile.OnDemandIdleSeconds = 600;

        var errors = VpnProfileValidator.Validate(profile).ToDictionary();

        Assert.Equal(["onDemandIdleSeconds", "trustedNetwork"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("no onDemandRules", errors["trustedNetwork"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PacUrlAndHostTogether_IsRefused()
    {
        VpnProfile profile = Valid();
        profile.Proxy = new ProxySettings("https://proxy.corp.example/proxy.pac", "proxy.corp.example", 8080, []);

        Assert.True(VpnProfileValidator.Validate(profile).Has("proxy"));
    }

    [Fact]
    public void Validate_PacUrlAlone_IsAccepted()
    {
        VpnProfile profile = Valid();
        profile.Proxy = new ProxySettings("https://proxy.corp.example/proxy.pac", null, null, []);

        Assert.True(VpnProfileValidator.Validate(profile).IsValid);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    [InlineData(70000)]
    public void Validate_ProxyHostWithoutUsablePort_IsRefused(int? port)
    {
        VpnProfile profile = Valid();
        profile.Proxy = new ProxySettings(null, "proxy.corp.example", port, []);

        Assert.True(VpnProfileValidator.Validate(profile).Has("proxy.port"));
    }

    [Fact]
    public void Validate_BadExclusion_NamesIt()
    {
        VpnProfile profile = Valid();
        profile.Proxy = new ProxySettings(null, "198.18.2.3", 3128, ["ok.example", "not ok"]);

        Assert.True(VpnProfileValidator.Validate(profile).Has("proxy.exclusions[1]"));
    }

    [Fact]
    public void Validate_EmptyGroupId_IsRefused()
    {
        VpnProfile profile = Valid();
        profile.AssignedGroupIds = [Guid.NewGuid(), Guid.Empty];

        Assert.True(VpnProfileValidator.Validate(profile).Has("assignedGroupIds[1]"));
    }
}
