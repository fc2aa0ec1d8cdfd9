using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Tests.Agents;

[Trait("Category", "Unit")]
public sealed class EffectiveConfigurationsTests
{
    [Fact]
    public void Build_SameInput_SameETag_AndItStartsWithTheVersions()
    {
        (Site site, ServerConfiguration configuration) = Objects();

        EffectiveConfiguration first = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions());
        EffectiveConfiguration second = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions());

        Assert.Equal(first.ETag, second.ETag);
        Assert.StartsWith("3.2.", first.ETag, StringComparison.Ordinal);
        Assert.Null(first.Auth);
    }

    [Fact]
    public void Build_AnyChange_ChangesTheETag_AlsoOfTheTokenSettings()
    {
        (Site site, ServerConfiguration configuration) = Objects();
        string before = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions()).ETag;

        EffectiveConfiguration withAuth = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions { Issuer = "https://login.test", Audience = "gw" });
        configuration.DnsServers = ["198.18.2.54"];
        string dnsChanged = EffectiveConfigurations.Build(site, configuration, new GatewayAuthOptions()).ETag;

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

        EffectiveConfiguration atA = EffectiveConfigurations.Build(siteA, configuration, auth);
        EffectiveConfiguration atB = EffectiveConfigurations.Build(siteB, configuration, auth);

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
            new GatewayAuthOptions { Issuer = "https://login.test", Audience = "gw", RequireSite = false, ValidTypes = ["at+jwt"] });

        Assert.Null(built.Auth!.RequiredSite);
        Assert.Equal(["at+jwt"], built.Auth.ValidTypes);
    }

    private static (Site, ServerConfiguration) Objects()
    {
        var configuration = new ServerConfiguration { Id = Guid.NewGuid(), Name = "cfg", Version = 3, Ipv4Range = "198.18.128.0/24", DnsServers = ["198.18.2.53"] };
        var site = new Site { Id = Guid.NewGuid(), Name = "site", Version = 2, ServerConfigurationId = configuration.Id, PublicAddress = "198.18.1.1" };
        return (site, configuration);
    }
}
