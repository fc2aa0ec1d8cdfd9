using System.Net;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Agents;

/// <summary>Enrolment tokens expire by the service's clock, moved by the test.</summary>
[Trait("Category", "Integration")]
public sealed class EnrolmentExpiryTests
{
    [Fact]
    public async Task Enrol_AfterTheTokenExpired_Returns401_BeforeItIsAccepted()
    {
        var clock = new TestClock(DateTimeOffset.UtcNow);
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using ManagementApp app = ManagementApp.Start(database, issuer: null, clock: clock);
        using HttpClient admin = app.Client(app.AdminKey);
        using HttpClient anonymous = app.Client();
        ApiResponse site = await Objects.SiteAsync(admin);
        ApiResponse first = await admin.CreateAsync($"/api/v1/sites/{site.Id}/enrolment-tokens", new { validForHours = 1 });
        ApiResponse second = await admin.CreateAsync($"/api/v1/sites/{site.Id}/enrolment-tokens", new { validForHours = 1 });

        clock.Now += TimeSpan.FromMinutes(59);
        ApiResponse inTime = await anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment", new { token = first.Json.GetProperty("token").GetString(), serverName = "gw-1", certificateRequest = Objects.CertificateRequest() });
        clock.Now += TimeSpan.FromMinutes(2);
        ApiResponse late = await anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment", new { token = second.Json.GetProperty("token").GetString(), serverName = "gw-2", certificateRequest = Objects.CertificateRequest() });

        Assert.Equal(HttpStatusCode.Created, inTime.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, late.Status);
        Assert.Contains("expired", late.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
