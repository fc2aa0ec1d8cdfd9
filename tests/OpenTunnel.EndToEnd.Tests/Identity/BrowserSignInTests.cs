using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Identity;

/// <summary>
/// Debian's openconnect 9.01 without a token: <c>openconnect --external-browser=SCRIPT https://GATEWAY/sso</c>.
/// The gateway offers the single-sign-on form; openconnect starts SCRIPT with the provider's sign-in
/// URL and listens on localhost:29786 in the client namespace. SCRIPT hands the URL to this test, whose
/// headless Debian Chromium, started inside the client namespace (Playwright, through
/// <c>ip netns exec</c>), signs in at the management service's embedded identity provider with the
/// user's password. The provider runs conditional access when the gateway redeems the code; the
/// gateway sends Chromium on to openconnect's listener with the sealed sign-in token; openconnect
/// posts it back, gets its session cookie and brings up the tunnel. The provider listens on the
/// root namespace's loopback and is reached from the gateway's and the client's namespaces through
/// <see cref="NamespaceRelay"/> at the same URL.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class BrowserSignInTests(ITestOutputHelper output)
{
    private const string Password = "correct horse battery";
    private const string Chromium = "/usr/lib/chromium/chromium";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private const string BrowserScript = """
        #!/bin/sh
        # openconnect's --external-browser program: hands the sign-in URL to the test, which drives Chromium.
        printf '%s\n' "$1" > "$OT_ENV_DIR/sso-login.tmp" && mv "$OT_ENV_DIR/sso-login.tmp" "$OT_ENV_DIR/sso-login"
        """;

    [Fact]
    public async Task OpenConnectWithExternalBrowser_SignsInAtTheProvider_AndConnects_WhileARefusedUserGetsNoCookie()
    {
        Prerequisites.RequireRootAndCommands("openconnect", "chromium");
        using var directory = new TemporaryDirectory();
        string callback = $"https://{NetworkTopology.GatewayPublicAddress}:{GatewayInstance.Port}/+sso/callback";
        using ManagementProcess management = await ManagementProcess.StartAsync(directory.Subdirectory("management"),
            launcher: ["env", "Identity__GatewayBrowserRedirectUris__0=" + callback]);
        AdminApiClient api = management.Api;
        string configuration = (await api.PostAsync("/api/v1/configurations", AgentEndToEndTests.Configuration(["198.18.2.53"]))).GetProperty("id").GetString()!;
        string site = (await api.PostAsync("/api/v1/sites", new { name = "e2e", publicAddress = NetworkTopology.GatewayPublicAddress, serverConfigurationId = configuration }))
            .GetProperty("id").GetString()!;
        string vpnUsers = (await api.PostAsync("/api/v1/groups", new { name = "vpn-users" })).GetProperty("id").GetString()!;
        string contractors = (await api.PostAsync("/api/v1/groups", new { name = "contractors" })).GetProperty("id").GetString()!;
        await api.PostAsync("/api/v1/conditional-access-policies", new { name = "vpn", groupIds = new[] { vpnUsers }, siteIds = new[] { site }, allowUnenrolledDevices = true });
        await api.PostAsync("/api/v1/conditional-access-policies", new { name = "contractors", groupIds = new[] { contractors }, siteIds = new[] { site } });
        await AddUserAsync(api, "alice", vpnUsers);
        await AddUserAsync(api, "bob", contractors);

        string issuer;
        string jwksFile = directory.File("provider-jwks.json");
        using (var http = new HttpClient { BaseAddress = management.ApiUrl })
        {
            using JsonDocument discovery = JsonDocument.Parse(await http.GetStringAsync(".well-known/openid-configuration"));
            issuer = discovery.RootElement.GetProperty("issuer").GetString()!;
            await File.WriteAllTextAsync(jwksFile, await http.GetStringAsync(discovery.RootElement.GetProperty("jwks_uri").GetString()));
        }

        using GatewayInstance gateway = await GatewayInstance.StartAsync(config =>
        {
            config["Auth"] = new JsonObject { ["Issuer"] = issuer, ["Audience"] = GatewayInstance.Audience, ["JwksFile"] = jwksFile, ["RequiredSite"] = site };
            // A browser sign-in presents no device, so its token says compliance: unmanaged; this gateway gives such sessions the corp network.
            config["Network"]!["UnmanagedAccess"] = new JsonObject { ["SplitInclude"] = new JsonArray(NetworkTopology.CorpSubnet) };
            config["BrowserSignIn"] = new JsonObject
            {
                ["Enabled"] = true,
                ["AuthorizationEndpoint"] = management.ApiUrl + "connect/authorize",
                ["TokenEndpoint"] = management.ApiUrl + "connect/token",
                ["PublicUrl"] = $"https://{NetworkTopology.GatewayPublicAddress}:{GatewayInstance.Port}",
                ["RequireHttps"] = false,
            };
        });
        using NamespaceRelay gatewayRelay = NamespaceRelay.Start(gateway.Topology.Gateway, management.ApiUrl.Port);
        using NamespaceRelay clientRelay = NamespaceRelay.Start(gateway.Topology.Client, management.ApiUrl.Port);
        string browserScript = gateway.Directory.File("browser.sh");
        await File.WriteAllTextAsync(browserScript, BrowserScript + "\n");
        File.SetUnixFileMode(browserScript, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Chromium runs in the client's namespace, where openconnect listens on localhost:29786.
        string chromiumInClient = gateway.Directory.File("chromium-in-client.sh");
        await File.WriteAllTextAsync(chromiumInClient, $"#!/bin/sh\nexec ip netns exec {gateway.Topology.Client} {Chromium} \"$@\"\n");
        File.SetUnixFileMode(chromiumInClient, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromiumInClient, Headless = true });

        // Alice: her group's policy lets her in from any device.
        using (OpenConnectClient alice = await OpenConnectClient.StartWithBrowserAsync(gateway, browserScript, "otc0"))
        {
            IPage page = await SignInAsync(browser, alice, "alice", "alice");
            await page.WaitForURLAsync("**/+sso/done", new PageWaitForURLOptions { Timeout = (float)Patience.TotalMilliseconds });
            Assert.Contains("You are signed in to the VPN", await page.InnerTextAsync("#message"), StringComparison.Ordinal);
            await ScreenshotAsync(page, "alice-signed-in");
            await alice.WaitForScriptAsync("connect", Patience);
            gateway.Topology.Exec(gateway.Topology.Client, "ping", ["-c", "1", "-W", "5", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(10)).EnsureSuccess();
            JsonNode session = (await gateway.ControlAsync("sessions"))!.AsArray().Single()!;
            Assert.Equal("alice", session["user"]!.GetValue<string>());
            output.WriteLine($"alice connected through the tunnel with address {alice.Address}");

            // The reply openconnect posted, sent again: its one-time token is refused, and so is a wrong one.
            System.Text.RegularExpressions.Match posted = System.Text.RegularExpressions.Regex.Match(alice.Process.Output,
                "<sso-attempt>([0-9a-f]+)</sso-attempt>.*?<sso-token>([0-9a-f]+)</sso-token>", System.Text.RegularExpressions.RegexOptions.Singleline);
            Assert.True(posted.Success, $"openconnect's auth-reply with the sign-in token is not in its output:\n{alice.Process.Output}");
            Assert.Equal("401", PostReply(gateway, posted.Groups[1].Value, posted.Groups[2].Value));
            await gateway.Process.WaitForOutputAsync("refused by check sso-token-replayed", TimeSpan.FromSeconds(10));
            Assert.Equal("401", PostReply(gateway, posted.Groups[1].Value, new string('0', 64)));
            await gateway.Process.WaitForOutputAsync("refused by check sso-token-wrong", TimeSpan.FromSeconds(10));
            string metrics = gateway.Topology.Exec(gateway.Topology.Gateway, "curl", "-s", "-m", "5", "http://127.0.0.1:9464/metrics").EnsureSuccess().StandardOutput;
            Assert.Contains("sso-token-replayed", metrics, StringComparison.Ordinal);
            Assert.Contains("sso-token-wrong", metrics, StringComparison.Ordinal);
        }

        // Bob: his group's policy demands an enrolled device, and a browser presents none.
        using OpenConnectClient bob = await OpenConnectClient.StartWithBrowserAsync(gateway, browserScript, "otc1");
        IPage refused = await SignInAsync(browser, bob, "bob", "bob");
        await WaitForCallbackAsync(refused, gateway, management);
        string shown = await refused.InnerTextAsync("#message");
        await ScreenshotAsync(refused, "bob-refused");
        Assert.Contains("No access", shown, StringComparison.Ordinal);
        Assert.Contains("requires an enrolled device", shown, StringComparison.Ordinal);
        await gateway.Process.WaitForOutputAsync("sso-provider-refused", TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(File.Exists(Path.Combine(bob.EnvironmentDirectory, "connect")), "bob's openconnect brought up a tunnel");
        // Alice's session outlives her openconnect for Timeouts:CookieTimeoutSeconds; bob has none.
        Assert.DoesNotContain((await gateway.ControlAsync("sessions"))!.AsArray(), s => s!["user"]!.GetValue<string>() == "bob");
        Assert.False(bob.Process.HasExited, $"openconnect for bob ended instead of waiting for a sign-in token:\n{bob.Process.Output}");
    }

    /// <summary>
    /// Waits until the page has loaded the gateway's sign-in callback. A full run once saw bob's page
    /// never get there (not seen when the test runs alone): on time-out the failure carries where the
    /// page is, what it shows, and the tails of the gateway's and the provider's output.
    /// </summary>
    private static async Task WaitForCallbackAsync(IPage page, GatewayInstance gateway, ManagementProcess management)
    {
        try
        {
            await page.WaitForURLAsync("**/+sso/callback**", new PageWaitForURLOptions { Timeout = (float)Patience.TotalMilliseconds });
        }
        catch (TimeoutException e)
        {
            string shown = "(nothing read)";
            try
            {
                shown = await page.InnerTextAsync("body", new PageInnerTextOptions { Timeout = 5000 });
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Checkout.TestResults("browser-sign-in"), "bob-stuck.png"), FullPage = true, Timeout = 5000 });
            }
            catch (Exception unreadable) when (unreadable is PlaywrightException or TimeoutException)
            {
                shown += $"\n(then the page failed: {unreadable.Message})";
            }

            throw new TimeoutException(
                $"The page did not load the gateway's callback within {Patience.TotalSeconds} s; it is at {page.Url}, showing:\n{shown}\n"
                + $"gateway (last lines):\n{Tail(gateway.Process.Output)}\nprovider (last lines):\n{Tail(management.Output)}", e);
        }
    }

    private static string Tail(string output) => string.Join('\n', output.Split('\n').TakeLast(40));

    /// <summary>Posts an auth-reply carrying a sign-in token from the client's namespace, as openconnect does; the HTTP status.</summary>
    private static string PostReply(GatewayInstance gateway, string attempt, string token)
    {
        string reply = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"auth-reply\" aggregate-auth-version=\"2\">"
            + $"<opaque is-for=\"sg\"><sso-attempt>{attempt}</sso-attempt></opaque><auth><sso-token>{token}</sso-token></auth></config-auth>";
        return gateway.Topology.Exec(gateway.Topology.Client, "curl",
            ["-s", "-k", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Aggregate-Auth: 1", "-H", "Content-Type: application/xml", "--data-binary", reply, gateway.Url + "/sso"],
            TimeSpan.FromSeconds(15)).StandardOutput.Trim();
    }

    /// <summary>Waits for openconnect to hand over its sign-in URL, opens it in Chromium and signs in with the password.</summary>
    private async Task<IPage> SignInAsync(IBrowser browser, OpenConnectClient client, string user, string screenshotName)
    {
        string file = Path.Combine(client.EnvironmentDirectory, "sso-login");
        DateTime deadline = DateTime.UtcNow + Patience;
        while (!File.Exists(file))
        {
            Assert.True(DateTime.UtcNow < deadline, $"openconnect did not start the external browser within {Patience.TotalSeconds} s:\n{client.Process.Output}");
            Assert.False(client.Process.HasExited, $"openconnect ended before it started the external browser:\n{client.Process.Output}");
            await Task.Delay(200);
        }

        string login = (await File.ReadAllTextAsync(file)).Trim();
        output.WriteLine($"{user}: openconnect opened {login}");
        IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(login);
        await page.FillAsync("input[name=username]", user);
        await page.FillAsync("input[name=password]", Password);
        await ScreenshotAsync(page, screenshotName + "-sign-in");
        await page.ClickAsync("button[type=submit]");
        return page;
    }

    /// <summary>Saves what the page looks like now into the test results (artifacts/test-results/browser-sign-in).</summary>
    private static Task<byte[]> ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Checkout.TestResults("browser-sign-in"), name + ".png"), FullPage = true });

    private static async Task AddUserAsync(AdminApiClient api, string name, string group)
    {
        string id = (await api.PostAsync("/api/v1/users", new { name, displayName = name, groupIds = new[] { group } })).GetProperty("id").GetString()!;
        using HttpResponseMessage password = await api.Http.PutAsJsonAsync($"/api/v1/users/{id}/password", new { password = Password });
        password.EnsureSuccessStatusCode();
    }
}
