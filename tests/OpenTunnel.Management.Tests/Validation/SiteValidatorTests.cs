using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Tests.Validation;

[Trait("Category", "Unit")]
public sealed class SiteValidatorTests
{
    private static Site Valid() => new()
    {
        Name = "berlin",
        PublicAddress = "vpn.example.com",
        ServerConfigurationId = Guid.NewGuid(),
        InternalProbeUrl = "https://intranet.corp.example/health",
        MaintenanceWindow = new MaintenanceWindow("Europe/Berlin", new TimeOnly(22, 0), new TimeOnly(2, 0)),
    };

    [Fact]
    public void Validate_FullSite_HasNoErrors()
    {
        Assert.True(SiteValidator.Validate(Valid()).IsValid);
    }

    [Theory]
    [InlineData("198.18.1.1", true)]
    [InlineData("2001:db8:1::1", true)]
    [InlineData("vpn.example.com", true)]
    [InlineData("vpn", false)]
    [InlineData("vpn.example.com:443", false)]
    [InlineData("", false)]
    public void Validate_PublicAddress_IsAnIpOrFqdn(string address, bool valid)
    {
        Site site = Valid();
        site.PublicAddress = address;

        Assert.Equal(valid, !SiteValidator.Validate(site).Has("publicAddress"));
    }

    [Fact]
    public void Validate_NoServerConfiguration_IsRefused()
    {
        Site site = Valid();
        site.ServerConfigurationId = Guid.Empty;

        Assert.Contains("server configuration", SiteValidator.Validate(site).ToDictionary()["serverConfigurationId"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 0, 2, 0, true)]
    [InlineData(1, 0, 1, 59, false)]
    [InlineData(23, 30, 0, 30, true)]
    [InlineData(23, 30, 0, 29, false)]
    [InlineData(3, 0, 3, 0, true)]
    public void Validate_MaintenanceWindow_LastsAtLeastAnHourAcrossMidnightToo(int startHour, int startMinute, int endHour, int endMinute, bool valid)
    {
        Site site = Valid();
        site.MaintenanceWindow = new MaintenanceWindow("UTC", new TimeOnly(startHour, startMinute), new TimeOnly(endHour, endMinute));

        Assert.Equal(valid, !SiteValidator.Validate(site).Has("maintenanceWindow"));
    }

    [Fact]
    public void Validate_UnknownTimeZone_IsRefused()
    {
        Site site = Valid();
        site.MaintenanceWindow = new MaintenanceWindow("Atlantis/Capital", new TimeOnly(1, 0), new TimeOnly(3, 0));

        Assert.True(SiteValidator.Validate(site).Has("maintenanceWindow.timeZone"));
    }

    [Theory]
    [InlineData("ftp://intranet.corp.example/")]
    [InlineData("intranet.corp.example/health")]
    public void Validate_ProbeUrlNotHttp_IsRefused(string url)
    {
        Site site = Valid();
        site.InternalProbeUrl = url;

        Assert.True(SiteValidator.Validate(site).Has("internalProbeUrl"));
    }
}
