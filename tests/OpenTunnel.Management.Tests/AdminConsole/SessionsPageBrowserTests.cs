using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.AdminConsole;

/// <summary>
/// The Sessions page in headless Debian Chromium against the real service over HTTPS: the newest
/// snapshot of a server with its filters, terminate behind a confirmation and its outcome, and the
/// read-only role. The snapshot is stored through the agent link's ingest; the page against a real
/// agent, gateway and openconnect is in OpenTunnel.EndToEnd.Tests (Agent/SessionsEndToEndTests).
/// </summary>
[Trait("Category", "Browser")]
public sealed class SessionsPageBrowserTests(ConsoleService service) : IClassFixture<ConsoleService>
{
    [Fact]
    public async Task Terminate_FromTheSessionsPage_AsksFirst_ThenQueuesTheCommandAndShowsIt()
    {
        (ApiResponse _, ApiResponse server) = await Objects.EnrolledServerAsync(service.Api, service.Api);
        string user = ManagementAppFixture.Unique("erin");
        await IngestAsync(server.Id, new LiveSession(7, user, "dev-7", "198.18.1.2:40000", "198.18.128.7", null, "DTLS", DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(-4), 4096, 8192),
            new LiveSession(8, ManagementAppFixture.Unique("other"), null, "198.18.1.3:40000", "198.18.128.8", null, "TLS", DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(-4), 1, 2));

        IPage page = await service.SignInAsync(service.FullAdmin);
        await page.GetByRole(AriaRole.Link, new() { Name = "Sessions", Exact = true }).ClickAsync();
        await page.GetByLabel("User (exact)").FillAsync(user);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        ILocator rows = page.Locator("main table").First.Locator("tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync("198.18.128.7");
        await Assertions.Expect(rows.First).ToContainTextAsync("DTLS");
        await Assertions.Expect(rows.First).ToContainTextAsync("4.0 KiB / 8.0 KiB");
        await ConsoleService.ScreenshotAsync(page, "sessions");

        await page.GetByRole(AriaRole.Link, new() { Name = $"Terminate session 7 of {user}" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Terminate session 7 of {user} on {server.Json.GetProperty("name").GetString()}?" })).ToBeVisibleAsync();
        Assert.Empty((await service.Api.ReadAsync($"/api/v1/servers/{server.Id}/commands")).Json.EnumerateArray());
        await ConsoleService.ScreenshotAsync(page, "sessions-terminate-confirm");
        await page.GetByRole(AriaRole.Button, new() { Name = "Terminate session 7" }).ClickAsync();

        await Assertions.Expect(page.Locator("p[role=status]")).ToContainTextAsync("is queued");
        ILocator command = page.Locator("#commands ~ div table tbody tr").First;
        await Assertions.Expect(command).ToContainTextAsync("Terminate 7");
        await Assertions.Expect(command).ToContainTextAsync("queued");
        await Assertions.Expect(command).ToContainTextAsync($"user:{service.FullAdmin}");
        var queued = Assert.Single((await service.Api.ReadAsync($"/api/v1/servers/{server.Id}/commands")).Json.EnumerateArray());
        Assert.Equal(("terminate", "7"), (queued.GetProperty("kind").GetString(), queued.GetProperty("target").GetString()));
    }

    [Fact]
    public async Task TerminateEverySessionOfAUser_AsksFirst_ThenQueuesTheCommandOnEachOfTheirServers()
    {
        (ApiResponse _, ApiResponse first) = await Objects.EnrolledServerAsync(service.Api, service.Api);
        (ApiResponse _, ApiResponse second) = await Objects.EnrolledServerAsync(service.Api, service.Api);
        string user = ManagementAppFixture.Unique("gus");
        await IngestAsync(first.Id, new LiveSession(4, user, "dev-4", "198.18.1.2:40000", "198.18.128.4", null, "DTLS", DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(-4), 1, 2));
        await IngestAsync(second.Id, new LiveSession(5, user, "dev-5", "198.18.1.3:40000", "198.18.128.5", null, "TLS", DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(-4), 1, 2));

        IPage page = await service.SignInAsync(service.FullAdmin);
        await page.GotoAsync("/console/sessions");
        // A user's name leads to their sessions, where the per-user actions are.
        await page.GetByRole(AriaRole.Link, new() { Name = $"Sessions of {user}" }).First.ClickAsync();
        await Assertions.Expect(page.Locator("main table").First.Locator("tbody tr")).ToHaveCountAsync(2);
        await page.GetByRole(AriaRole.Link, new() { Name = "Terminate all" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Terminate every session of {user} (2 on 2 server(s))?" })).ToBeVisibleAsync();
        Assert.Empty((await service.Api.ReadAsync($"/api/v1/servers/{first.Id}/commands")).Json.EnumerateArray());
        await ConsoleService.ScreenshotAsync(page, "sessions-terminate-user-confirm");

        // Cancelling sends nothing.
        await page.GetByRole(AriaRole.Link, new() { Name = "Cancel" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Terminate every session of {user} (2 on 2 server(s))?" })).ToHaveCountAsync(0);
        Assert.Empty((await service.Api.ReadAsync($"/api/v1/servers/{second.Id}/commands")).Json.EnumerateArray());

        await page.GetByRole(AriaRole.Link, new() { Name = "Terminate all" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Terminate every session of {user}" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role=status]")).ToContainTextAsync("is queued on 2 server(s)");
        await Assertions.Expect(page.Locator("#commands ~ div table tbody tr", new() { HasText = $"Terminate {user}" })).ToHaveCountAsync(2);
        foreach (ApiResponse server in new[] { first, second })
        {
            var queued = Assert.Single((await service.Api.ReadAsync($"/api/v1/servers/{server.Id}/commands")).Json.EnumerateArray());
            Assert.Equal(("terminate", user), (queued.GetProperty("kind").GetString(), queued.GetProperty("target").GetString()));
        }
    }

    [Fact]
    public async Task ReadOnlyAdministrator_SeesTheSessionsWithoutButtons_AndPostingAnywayIs403()
    {
        (ApiResponse _, ApiResponse server) = await Objects.EnrolledServerAsync(service.Api, service.Api);
        string user = ManagementAppFixture.Unique("fay");
        await IngestAsync(server.Id, new LiveSession(3, user, null, "198.18.1.2:40000", "198.18.128.3", null, "TLS", DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(-4), 1, 2));

        IPage page = await service.SignInAsync(service.ReadOnlyAdmin);
        await page.GotoAsync($"/console/sessions?user={user}");
        await Assertions.Expect(page.Locator("main table").First.Locator("tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Terminate", Exact = true })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Disconnect", Exact = true })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Terminate all", Exact = true })).ToHaveCountAsync(0);
        await page.GotoAsync($"/console/sessions?confirm=terminate&on={server.Id}&session=3");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Terminate session 3" })).ToHaveCountAsync(0);

        // The forms it was not shown, posted anyway with a valid anti-forgery token (the sign-out form's).
        string antiforgery = await page.Locator("form.signout input[name='__RequestVerificationToken']").GetAttributeAsync("value") ?? "";
        foreach ((string address, string form) in new[] { ($"/console/sessions?confirm=terminate&on={server.Id}&session=3", "session-action"), ($"/console/sessions?confirm=terminate&of={user}", "user-action") })
        {
            IAPIResponse posted = await page.Context.APIRequest.PostAsync(address, new()
            {
                Form = page.Context.APIRequest.CreateFormData()
                    .Set("__RequestVerificationToken", antiforgery)
                    .Set("_handler", form),
                MaxRedirects = 0,
            });
            Assert.True(posted.Status == 403, $"{form} at {address} answered {posted.Status}, not 403");
        }

        Assert.Empty((await service.Api.ReadAsync($"/api/v1/servers/{server.Id}/commands")).Json.EnumerateArray());
    }

    private async Task IngestAsync(string server, params LiveSession[] sessions)
    {
        await using AsyncServiceScope scope = service.App.Services.CreateAsyncScope();
        (SessionSnapshotOutcome outcome, _) = await scope.ServiceProvider.GetRequiredService<SessionSnapshotIngest>()
            .IngestAsync(Guid.Parse(server), new SessionSnapshot(DateTime.UtcNow, sessions.Length, sessions), CancellationToken.None);
        Assert.Equal(SessionSnapshotOutcome.Stored, outcome);
    }
}
