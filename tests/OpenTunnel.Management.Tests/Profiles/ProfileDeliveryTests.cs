using OpenTunnel.Identity.Contracts.Devices;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Profiles;

namespace OpenTunnel.Management.Tests.Profiles;

[Trait("Category", "Unit")]
public sealed class ProfileDeliveryTests
{
    private static readonly Guid Staff = Guid.NewGuid();
    private static readonly Guid Lab = Guid.NewGuid();

    [Fact]
    public void AssignedTo_ProfilesOfAnyOfTheUsersGroups_ByName_OfThePlatform()
    {
        var user = new User { Name = "alice", GroupIds = [Lab, Staff] };
        VpnProfile[] profiles =
        [
            new() { Name = "z-office", Platform = Management.Domain.Platform.Linux, AssignedGroupIds = [Staff] },
            new() { Name = "a-lab", Platform = Management.Domain.Platform.Linux, AssignedGroupIds = [Guid.NewGuid(), Lab] },
            new() { Name = "windows", Platform = Management.Domain.Platform.Windows, AssignedGroupIds = [Staff] },
            new() { Name = "others", Platform = Management.Domain.Platform.Linux, AssignedGroupIds = [Guid.NewGuid()] },
            new() { Name = "nobody", Platform = Management.Domain.Platform.Linux, AssignedGroupIds = [] },
        ];

        Assert.Equal(["a-lab", "z-office"], ProfileDelivery.AssignedTo(user, profiles, Management.Domain.Platform.Linux).Select(p => p.Name));
        Assert.Equal(["a-lab", "windows", "z-office"], ProfileDelivery.AssignedTo(user, profiles, null).Select(p => p.Name));
    }

    [Fact]
    public void Describe_SiteAddressAndConfigurationPort_EnumsInCamelCase()
    {
        var configuration = new ServerConfiguration { Id = Guid.NewGuid(), Port = 8443 };
        var site = new Site { Id = Guid.NewGuid(), Name = "main", PublicAddress = "198.18.1.1", ServerConfigurationId = configuration.Id };
        var profile = new VpnProfile
        {
            Name = "office",
            SiteId = site.Id,
            Platform = Management.Domain.Platform.MacOS,
            OnDemandRules = [new OnDemandRule(OnDemandMatch.IpRanges, ["198.18.2.0/24"], OnDemandAction.Connect)],
            AlwaysOn = true,
            Lockdown = true,
            TrustedNetwork = new TrustedNetworkDetection(["office.example"], "http://probe.office.example/", 204),
            OnDemandIdleSeconds = 120,
        };

        DeviceProfile described = ProfileDelivery.Describe([profile], new Dictionary<Guid, Site> { [site.Id] = site }, new Dictionary<Guid, ServerConfiguration> { [configuration.Id] = configuration }).Profiles.Single();

        Assert.Equal(new DeviceProfileSite(site.Id, "main", "198.18.1.1", 8443), described.Site);
        Assert.Equal("macOS", described.Platform);
        Assert.Equal(("ipRanges", "connect"), (described.OnDemandRules[0].Match, described.OnDemandRules[0].Action));
        Assert.True(described.AlwaysOn && described.Lockdown);
        Assert.Equal(["office.example"], described.TrustedNetwork!.DnsSuffixes);
        Assert.Equal(("http://probe.office.example/", 204), (described.TrustedNetwork.ProbeUrl, described.TrustedNetwork.ProbeStatus));
        Assert.Equal(120, described.OnDemandIdleSeconds);
    }

    [Fact]
    public void ETagOf_ChangesWithAnyField_SameForSameAnswer()
    {
        var site = new DeviceProfileSite(Guid.Empty, "main", "198.18.1.1", 443);
        var list = new DeviceProfileList([new DeviceProfile(Guid.Empty, "office", null, "linux", site, [], false, [], null)]);
        var moved = new DeviceProfileList([new DeviceProfile(Guid.Empty, "office", null, "linux", site with { Port = 444 }, [], false, [], null)]);

        Assert.Equal(ProfileDelivery.ETagOf(list), ProfileDelivery.ETagOf(new DeviceProfileList([.. list.Profiles])));
        Assert.NotEqual(ProfileDelivery.ETagOf(list), ProfileDelivery.ETagOf(moved));
        Assert.Matches("^\"[0-9a-f]{16}\"$", ProfileDelivery.ETagOf(list));
    }

    [Theory]
    [InlineData("\"abc\"", true)]
    [InlineData("W/\"abc\"", true)]
    [InlineData("\"x\", \"abc\"", true)]
    [InlineData("*", true)]
    [InlineData("\"abd\"", false)]
    [InlineData("abc", false)]
    [InlineData(null, false)]
    public void NotModified_MatchesByWeakComparison(string? ifNoneMatch, bool expected)
    {
        Assert.Equal(expected, ProfileDelivery.NotModified(ifNoneMatch, "\"abc\""));
    }
}
