using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Tests.Agents;

[Trait("Category", "Unit")]
public sealed class EffectiveConfigurationsTests
{
    private const string DeploymentPin = "pin-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    private static readonly GatewayIssuerTrust NoPin = new(null);

    [Fact]
    public void Build_SameInput_SameETag_AndItStartsWithTheVersions()
    {
        (Site site, ServerConfiguration configuration) = Objects();

        EffectiveConfiguration first = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions(), NoPin);
        EffectiveConfiguration second = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions(), NoPin);

        Assert.Equal(first.ETag, second.ETag);
        Assert.StartsWith("3.2.", first.ETag, StringComparison.Ordinal);
        Assert.Null(first.Auth);
    }

    [Fact]
    public void Build_LoadBalancing_CarriesTheSettingAndThePeers_AndNewPeersChangeTheETag()
    {
        (Site site, ServerConfiguration configuration) = Objects();
        var peer = new PeerConfiguration("198.18.0.3:443", 4, 12.5, true, false, new DateTime(2026, 12, 3, 8, 0, 0, DateTimeKind.Utc));
        string off = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions(), NoPin, [peer]).ETag;
        configuration.LoadBalancing = new LoadBalancingSettings(LoadBalancingSettings.Redirect, 30);

        EffectiveConfiguration one = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions(), NoPin, [peer]);
        EffectiveConfiguration busier = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions(), NoPin, [peer with { Sessions = 5 }]);

        Assert.Null(EffectiveConfigurations.Build(site, new ServerConfiguration { Name = "x" }, new GatewayAuthOptions(), NoPin, [peer]).LoadBalancing);
        Assert.Equal("redirect", one.LoadBalancing!.Mode);
        Assert.Equal(30, one.LoadBalancing.ThresholdPercent);
        Assert.Equal([peer], one.LoadBalancing.Peers);
        Assert.NotEqual(off, one.ETag);
        Assert.NotEqual(one.ETag, busier.ETag);
    }

    [Fact]
    public void Build_UnmanagedAccess_IsCarriedToTheTunnel_AndWithoutItNoneIs()
    {
        (Site site, ServerConfiguration configuration) = Objects();
        string without = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions(), NoPin).ETag;
        Assert.Null(EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions(), NoPin).Tunnel.UnmanagedAccess);
        configuration.UnmanagedAccess = new UnmanagedAccessSettings(["198.18.7.0/24"], DnsSuffix: "web.example");

        EffectiveConfiguration with = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions(), NoPin);

        Assert.Equal(["198.18.7.0/24"], with.Tunnel.UnmanagedAccess!.IncludeRoutes);
        Assert.Empty(with.Tunnel.UnmanagedAccess.DnsServers);
        Assert.Equal("web.example", with.Tunnel.UnmanagedAccess.DnsSuffix);
        Assert.NotEqual(without, with.ETag);
    }

    [Fact]
    public void Build_AnyChange_ChangesTheETag_AlsoOfTheTokenSettings()
    {
        (Site site, ServerConfiguration configuration) = Objects();
        string before = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions(), NoPin).ETag;

        EffectiveConfiguration withAuth = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions { Issuer = "https://login.test", Audience = "gw" }, NoPin);
        configuration.DnsServers = ["198.18.2.54"];
        string dnsChanged = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions(), NoPin).ETag;

        Assert.NotEqual(before, withAuth.ETag);
        Assert.Equal("https://login.test", withAuth.Auth!.Issuer);
        Assert.NotEqual(before, dnsChanged);
    }

    [Fact]
    public void Build_TwoSitesOfOneDeployment_EachRequiresItsOwnSiteId_AsTheIdentityProviderPutsItInTheSiteClaim()
    {
        (Site siteA, ServerConfiguration configuration) = Objects();
        var siteB = new Site { Id = Guid.NewGuid(), Name = "branch", Version = 1, ServerConfigurationId = configuration.Id, PublicAddress = "198.18.1.9" };
        var auth = new GatewayAuthOptions { Issuer = "https://login.test", Audience = "opentunnel-gateway" };

        EffectiveConfiguration atA = EffectiveConfigurations.Build(siteA, configuration, auth, NoPin);
        EffectiveConfiguration atB = EffectiveConfigurations.Build(siteB, configuration, auth, NoPin);

        // The provider writes Guid.ToString() ("D", lower case) into 'site' (TokenIdentities.AddAccess).
        Assert.Equal(siteA.Id.ToString("D"), atA.Auth!.RequiredSite);
        Assert.Equal(siteB.Id.ToString("D"), atB.Auth!.RequiredSite);
        Assert.NotEqual(atA.ETag.Split('.')[^1], atB.ETag.Split('.')[^1]);
        Assert.Null(atA.Auth.ValidTypes);
    }

    [Fact]
    public void Build_SiteCheckTurnedOffAndTypesSet_PushesNoSiteAndTheTypes()
    {
        (Site site, ServerConfiguration configuration) = Objects();

        EffectiveConfiguration built = EffectiveConfigurations.Build(site, configuration,
            new GatewayAuthOptions { Issuer = "https://login.test", Audience = "gw", RequireSite = false, ValidTypes = ["at+jwt"] }, NoPin);

        Assert.Null(built.Auth!.RequiredSite);
        Assert.Equal(["at+jwt"], built.Auth.ValidTypes);
    }

    [Fact]
    public void Build_WithTheIssuerTrust_PushesItsPin_AndTheETagChanges()
    {
        (Site site, ServerConfiguration configuration) = Objects();
        var auth = new GatewayAuthOptions { Issuer = "https://mgmt.test:9443/", Audience = "opentunnel-gateway" };

        EffectiveConfiguration withoutPin = EffectiveConfigurations.Build(site, configuration, auth, NoPin);
        EffectiveConfiguration withPin = EffectiveConfigurations.Build(site, configuration, auth, new GatewayIssuerTrust(DeploymentPin));

        Assert.Null(withoutPin.Auth!.CaPin);
        Assert.Equal(DeploymentPin, withPin.Auth!.CaPin);
        Assert.NotEqual(withoutPin.ETag, withPin.ETag);
    }

    [Theory]
    [InlineData("https://mgmt.test:9443/", "https://mgmt.test:9443/", false, DeploymentPin)]
    [InlineData("https://MGMT.test:9443", "https://mgmt.test:9443/", false, DeploymentPin)]
    [InlineData("https://mgmt.test:9443/", "https://mgmt.test:9443/", true, null)]
    [InlineData("https://login.example/tenant/v2.0", "https://mgmt.test:9443/", false, null)]
    [InlineData("https://mgmt.test:9443/", null, false, null)]
    [InlineData(null, "https://mgmt.test:9443/", false, null)]
    public void IssuerTrust_IsTheDeploymentPin_OnlyForTheEmbeddedProviderServedWithTheDeploymentsCertificate(
        string? issuer, string? embeddedIssuer, bool operatorCertificate, string? expected)
    {
        var auth = new GatewayAuthOptions { Issuer = issuer, Audience = "opentunnel-gateway" };

        GatewayIssuerTrust trust = GatewayIssuerTrust.For(auth, embeddedIssuer, servedWithDeploymentCertificate: !operatorCertificate, DeploymentPin);

        Assert.Equal(expected, trust.CaPin);
    }

    [Fact]
    public void IssuerTrust_TheAdministratorsPin_WinsForAnyIssuer()
    {
        const string own = "pin-sha256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=";
        var auth = new GatewayAuthOptions { Issuer = "https://login.example/", Audience = "gw", CaPin = own };

        Assert.Equal(own, GatewayIssuerTrust.For(auth, "https://mgmt.test:9443/", servedWithDeploymentCertificate: true, DeploymentPin).CaPin);
    }

    private static (Site, ServerConfiguration) Objects()
    {
        var configuration = new ServerConfiguration { Id = Guid.NewGuid(), Name = "cfg", Version = 3, Ipv4Range = "198.18.128.0/24", DnsServers = ["198.18.2.53"] };
        var site = new Site { Id = Guid.NewGuid(), Name = "site", Version = 2, ServerConfigurationId = configuration.Id, PublicAddress = "198.18.1.1" };
        return (site, configuration);
    }
}
