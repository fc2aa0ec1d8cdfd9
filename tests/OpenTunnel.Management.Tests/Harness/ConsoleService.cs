using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Playwright;
using OpenTunnel.Testing;
using OpenTunnel.Trust;

namespace OpenTunnel.Management.Tests.Harness;

/// <summary>
/// One management service over real HTTPS on 127.0.0.1 for a class of console tests, with two
/// people in the directory (a full administrator and a read-only one, through the groups of
/// Management:Console), and one headless Debian Chromium that every test opens its own context in.
/// </summary>
public sealed class ConsoleService : IAsyncLifetime
{
    /// <summary>Debian's browser without its wrapper script (docs/testing.md#browser); Playwright cannot download one here.</summary>
    public const string Chromium = "/usr/lib/chromium/chromium";

    public const string Password = "console-test-password-1";

    private TestDatabase? _database;
    private IPlaywright? _playwright;

    public ManagementApp App { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>https://127.0.0.1:PORT</summary>
    public string BaseUrl { get; private set; } = null!;

    /// <summary>The API over HTTPS with the first full-admin key, trusting the deployment's CA.</summary>
    public HttpClient Api { get; private set; } = null!;

    public string FullAdmin { get; } = ManagementAppFixture.Unique("ada");

    public string ReadOnlyAdmin { get; } = ManagementAppFixture.Unique("rea");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
        {
            throw new PrerequisiteMissingException($"{Chromium} is missing: install Debian's chromium (apt-get install chromium); ./test.sh does.");
        }

        int port = LoopbackPorts.Free();
        BaseUrl = $"https://127.0.0.1:{port}";
        _database = TestDatabase.CreateSqlite();
        App = ManagementApp.Start(
            _database,
            issuer: null,
            listen: true,
            settings: new Dictionary<string, string>
            {
                ["Identity:ConsoleRedirectUris:0"] = BaseUrl + "/console/signed-in",

                // The agents' endpoint, which the install line names.
                ["Management:Agents:Listen"] = $"127.0.0.1:{LoopbackPorts.Free()}",
                ["Management:Console:FullAdminGroups:0"] = "console-admins",
                ["Management:Console:ReadOnlyGroups:0"] = "console-readers",
            },
            configure: b => b.UseUrls(BaseUrl));
        var trust = DeploymentTrust.FromCaFile(Path.Combine(_database.DataDirectory, "agent-ca.pem"), "agent-ca.pem");
        Api = new HttpClient(trust.CreateHandler()) { BaseAddress = new Uri(BaseUrl) };
        Api.DefaultRequestHeaders.Add("X-Api-Key", App.AdminKey);
        await AddPersonAsync(FullAdmin, "console-admins");
        await AddPersonAsync(ReadOnlyAdmin, "console-readers");

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
    }

    /// <summary>
    /// A fresh browser context (no cookies) at <paramref name="width"/> px. The service's certificate
    /// comes from the deployment's CA, which this browser has no way to be given; its trust is
    /// tested with real TLS in HttpsTests, so here certificate errors are ignored.
    /// </summary>
    public async Task<IPage> NewPageAsync(int width = 1280)
    {
        IBrowserContext context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            IgnoreHTTPSErrors = true,
            ViewportSize = new ViewportSize { Width = width, Height = 900 },
            BaseURL = BaseUrl,
        });
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Opens the console and signs in at the identity provider's form; returns on the console's
    /// overview. A sign-in that has not reached the console after 90 s is tried once more in a
    /// fresh browser context (seen once in a whole-suite run on 2 cores, cause not found); the
    /// second failure names where the first page stood and what it showed.
    /// </summary>
    public async Task<IPage> SignInAsync(string user, int width = 1280)
    {
        string? firstAttempt = null;
        for (int attempt = 1; ; attempt++)
        {
            IPage page = await NewPageAsync(width);
            await page.GotoAsync("/console");
            await page.GetByLabel("User name").FillAsync(user);
            await page.GetByLabel("Password").FillAsync(Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            try
            {
                // The code flow's round trips and the password hash share 2 cores with the rest of the suite: more than Playwright's 30 s default can pass.
                await page.WaitForURLAsync(BaseUrl + "/console", new PageWaitForURLOptions { Timeout = 90_000 });
                return page;
            }
            catch (TimeoutException) when (attempt == 1)
            {
                firstAttempt = $"{page.Url}: {await page.InnerTextAsync("body")}";
                await page.Context.CloseAsync();
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{user} did not reach the console twice. First at {firstAttempt}\nThen at {page.Url}: {await page.InnerTextAsync("body")}", e);
            }
        }
    }

    /// <summary>Saves what the page looks like now into the test results (artifacts/test-results/console).</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        string path = Path.Combine(Checkout.TestResults("console"), name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Api?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    private async Task AddPersonAsync(string name, string groupName)
    {
        ApiResponse groups = await Api.ReadAsync($"/api/v1/groups?name={groupName}");
        string groupId = groups.Json.GetProperty("items").GetArrayLength() > 0
            ? groups.Json.GetProperty("items")[0].GetProperty("id").GetString()!
            : (await Api.CreateAsync("/api/v1/groups", new { name = groupName })).Id;
        string userId = (await Api.CreateAsync("/api/v1/users", new { name, displayName = name.ToUpperInvariant(), groupIds = new[] { groupId } })).Id;
        ApiResponse password = await Api.SendAsync(HttpMethod.Put, $"/api/v1/users/{userId}/password", new { password = Password });
        Assert.True(password.Status is HttpStatusCode.NoContent or HttpStatusCode.OK, password.Body);
    }
}
