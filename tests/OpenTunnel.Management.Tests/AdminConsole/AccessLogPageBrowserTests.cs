using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.AccessLog;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.AdminConsole;

/// <summary>
/// The access log page in headless Debian Chromium against the real service over HTTPS: ended
/// sessions stored through the agent link's ingest, filtered by user, server and time, and a bad
/// time range answered with the API's message. The records come through the ingest, not a gateway:
/// the gateway's side is in OpenTunnel.EndToEnd.Tests (Agent/AccessLogEndToEndTests).
/// </summary>
[Trait("Category", "Browser")]
public sealed class AccessLogPageBrowserTests(ConsoleService service) : IClassFixture<ConsoleService>
{
    [Fact]
    public async Task AccessLog_FiltersByUserServerAndTime_AndNamesABadRange()
    {
        (ApiResponse _, ApiResponse first) = await Objects.EnrolledServerAsync(service.Api, service.Api);
        (ApiResponse _, ApiResponse second) = await Objects.EnrolledServerAsync(service.Api, service.Api);
        string user = ManagementAppFixture.Unique("hal");
        DateTime now = DateTime.UtcNow;
        await IngestAsync(first.Id, Record(user, 11, "198.18.128.11", now.AddHours(-3), now.AddHours(-2)));
        await IngestAsync(second.Id, Record(user, 12, "198.18.128.12", now.AddMinutes(-20), now.AddMinutes(-1)));
        await IngestAsync(first.Id, Record(ManagementAppFixture.Unique("other"), 13, "198.18.128.13", now.AddMinutes(-20), now.AddMinutes(-1)));

        IPage page = await service.SignInAsync(service.ReadOnlyAdmin);
        await page.GetByRole(AriaRole.Link, new() { Name = "Access log", Exact = true }).ClickAsync();
        await page.GetByLabel("User (exact)").FillAsync(user);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        ILocator rows = page.Locator("main table tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        // Newest end first.
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("198.18.128.12");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("198.18.128.11");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("idle-timeout");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("2.0 KiB / 1.0 MiB");
        await ConsoleService.ScreenshotAsync(page, "access-log");

        await page.GetByLabel("Server (name or id)").FillAsync(first.Json.GetProperty("name").GetString()!);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync("198.18.128.11");

        // Up in the last hour: only the session on the second server.
        await page.GetByLabel("Server (name or id)").FillAsync("");
        await page.GetByLabel("Up from (UTC)").FillAsync(now.AddHours(-1).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync("198.18.128.12");

        await page.GetByLabel("Up before (UTC)").FillAsync(now.AddHours(-2).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        ILocator alert = page.Locator("div[role=alert]");
        await Assertions.Expect(alert).ToContainTextAsync("to: is");
        await Assertions.Expect(alert).ToContainTextAsync("not after from");
        await Assertions.Expect(rows).ToHaveCountAsync(0);
    }

    private static AccessRecord Record(string user, long session, string address, DateTime started, DateTime ended) =>
        new(session, Guid.NewGuid(), session, user, null, "dev-" + session.ToString(CultureInfo.InvariantCulture), "198.18.1.2:40000", address, null, started, ended, "idle-timeout", 2048, 1024 * 1024);

    private async Task IngestAsync(string server, AccessRecord record)
    {
        await using AsyncServiceScope scope = service.App.Services.CreateAsyncScope();
        AccessLogIngestResult result = await scope.ServiceProvider.GetRequiredService<AccessLogIngest>()
            .IngestAsync(Guid.Parse(server), new AccessRecordBatch([record]), CancellationToken.None);
        Assert.True(result.Errors.IsValid, string.Join("; ", result.Errors.ToDictionary().Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
        Assert.Equal(1, result.Acknowledgement!.Stored);
    }
}
