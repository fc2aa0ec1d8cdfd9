using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Agent;

/// <summary>
/// The web console against real parts, in headless Debian Chromium: a full administrator signs in
/// at the management service's identity provider, issues an enrolment token on the site's page, a
/// real agent enrols with it beside a real gateway in its namespaces, and the page shows the server
/// healthy. Debian's openconnect connects; on the Sessions page a confirmed disconnect makes it
/// reconnect with its cookie, and a confirmed terminate of every session of the user makes it exit,
/// its cookie refused afterwards. Screenshots go to artifacts/test-results/console.
/// </summary>
[Trait("Category", "Browser")]
public sealed class ConsoleEndToEndTests(ITestOutputHelper output)
{
    private const string Chromium = "/usr/lib/chromium/chromium";
    private const string Administrator = "ada";
    private const string Password = "console-e2e-password-1";
    private const string AdminGroup = "console-admins";
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ConsoleEnrolsARealServer_SeesItHealthy_AndDisconnectsThenTerminatesARealOpenConnectSession()
    {
        Prerequisites.RequireRootAndCommands("openconnect", "chromium");
        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
        IPage page = null!;

        using AgentStack stack = await AgentStack.StartAsync(
            // Development: the console's styles and script come from the build output's static web assets
            // (a published service has them in its wwwroot), so the page is seen as a person sees it.
            managementLauncher: ["env", "ASPNETCORE_ENVIRONMENT=Development", $"Management__Console__FullAdminGroups__0={AdminGroup}"],
            enrolmentToken: async (management, site) =>
            {
                await AddAdministratorAsync(management.Api);
                page = await SignInAsync(browser, management.ApiUrl);
                await page.GotoAsync($"/console/sites/{site}");
                await page.GetByLabel("Valid for (hours)").FillAsync("1");
                await page.GetByRole(AriaRole.Button, new() { Name = "Issue enrolment token" }).ClickAsync();
                ILocator token = page.GetByLabel(new Regex("^Token"));
                await Assertions.Expect(token).Not.ToHaveValueAsync("");
                await ScreenshotAsync(page, "e2e-enrolment-token");
                return await token.InputValueAsync();
            });

        // The agent enrolled with the console's token; the site's page shows its server healthy.
        await page.GotoAsync($"/console/sites/{stack.Site}");
        ILocator serverRow = page.Locator("main table tbody tr", new() { HasText = "gw-e2e" });
        await ReloadUntilAsync(page, serverRow, "Healthy", "the site's page shows the enrolled server healthy");
        await ScreenshotAsync(page, "e2e-server-healthy");

        GatewayInstance gateway = stack.Gateway;
        var signIn = OpenConnectClient.Authenticate(gateway, gateway.TokenFile(gateway.MintToken("sally")));
        signIn.EnsureSuccess();
        string cookie = GatewayTunnelTests.CookieLine().Match(signIn.StandardOutput).Groups[1].Value;
        using OpenConnectClient client = await OpenConnectClient.ConnectWithCookieAsync(gateway, cookie, "otc0");

        // The live session on the Sessions page, with its leased address; disconnect it after confirming.
        await page.GotoAsync("/console/sessions?user=sally");
        ILocator sessionRow = page.Locator("main table").First.Locator("tbody tr", new() { HasText = "gw-e2e" });
        await ReloadUntilAsync(page, sessionRow, client.Address, "the Sessions page lists the live session with its leased address");
        await ScreenshotAsync(page, "e2e-sessions");
        await page.GetByRole(AriaRole.Link, new() { NameRegex = new Regex(@"^Disconnect session \d+ of sally$") }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex(@"^Disconnect session \d+$") }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role=status]")).ToContainTextAsync("is queued");
        await client.WaitForScriptAsync("reconnect", Generous);
        Assert.False(client.Process.HasExited, "openconnect ended after a disconnect instead of reconnecting:\n" + client.Process.Output);
        await page.GotoAsync("/console/sessions#commands");
        await ReloadUntilAsync(page, page.Locator("#commands ~ div table tbody tr", new() { HasText = "Disconnect" }).First, "done", "the disconnect shows as done");

        // Terminate every session of the user after confirming: openconnect exits and its cookie is refused.
        await page.GotoAsync("/console/sessions?user=sally");
        await page.GetByRole(AriaRole.Link, new() { Name = "Terminate all" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Terminate every session of sally" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role=status]")).ToContainTextAsync("is queued on 1 server(s)");
        await client.Process.WaitForExitAsync(Generous);
        Assert.Contains("Received server disconnect", client.Process.Output, StringComparison.Ordinal);
        await page.GotoAsync("/console/sessions#commands");
        ILocator terminated = page.Locator("#commands ~ div table tbody tr", new() { HasText = "Terminate sally" });
        await ReloadUntilAsync(page, terminated, "done", "the terminate shows as done");
        await Assertions.Expect(terminated).ToContainTextAsync("terminate: 1 session(s) of 'sally'.");
        await ScreenshotAsync(page, "e2e-sessions-terminated");

        using OpenConnectClient again = await OpenConnectClient.ConnectWithCookieAsync(gateway, cookie, "otc1", waitForTunnel: false);
        int exit = await again.Process.WaitForExitAsync(Generous);
        Assert.NotEqual(0, exit);
        Assert.Contains("401", again.Process.Output, StringComparison.Ordinal);
        await page.GotoAsync("/console/sessions?user=sally");
        await ReloadUntilAsync(page, page.Locator("main"), "No session matches.", "the ended session leaves the Sessions page");
        output.WriteLine($"openconnect at {client.Address} was disconnected and terminated from the console.");
    }

    /// <summary>The group the service makes full administrators of, and its one member with a password.</summary>
    private static async Task AddAdministratorAsync(AdminApiClient api)
    {
        string group = (await api.PostAsync("/api/v1/groups", new { name = AdminGroup })).GetProperty("id").GetString()!;
        string user = (await api.PostAsync("/api/v1/users", new { name = Administrator, displayName = "Ada", groupIds = new[] { group } })).GetProperty("id").GetString()!;
        using HttpResponseMessage password = await api.Http.PutAsJsonAsync($"/api/v1/users/{user}/password", new { password = Password });
        password.EnsureSuccessStatusCode();
    }

    /// <summary>Opens the console and signs in at the identity provider's form; returns on the overview.</summary>
    private static async Task<IPage> SignInAsync(IBrowser browser, Uri service)
    {
        string origin = service.GetLeftPart(UriPartial.Authority);
        IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = origin, ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        IPage page = await context.NewPageAsync();
        await page.GotoAsync("/console");
        await page.GetByLabel("User name").FillAsync(Administrator);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // The code flow and the password hash share the machine with the gateway, the agent and other builds.
        await page.WaitForURLAsync(origin + "/console", new PageWaitForURLOptions { Timeout = (float)Generous.TotalMilliseconds });
        return page;
    }

    /// <summary>Reloads the page until <paramref name="locator"/> shows <paramref name="text"/>: the pages are rendered on the server and do not update themselves.</summary>
    private static async Task ReloadUntilAsync(IPage page, ILocator locator, string text, string what)
    {
        DateTime deadline = DateTime.UtcNow + Generous;
        string seen = "";
        while (DateTime.UtcNow < deadline)
        {
            if (await locator.CountAsync() > 0)
            {
                seen = await locator.First.InnerTextAsync();
                if (seen.Contains(text, StringComparison.Ordinal))
                {
                    return;
                }
            }

            await Task.Delay(1000);
            await page.ReloadAsync();
        }

        throw new TimeoutException($"Not within {Generous.TotalSeconds:0} s: {what}. The page at {page.Url} showed: {seen}\n{await page.InnerTextAsync("main")}");
    }

    /// <summary>Saves what the page looks like now beside the other console screenshots (artifacts/test-results/console).</summary>
    private static Task<byte[]> ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Checkout.TestResults("console"), name + ".png"), FullPage = true });
}
