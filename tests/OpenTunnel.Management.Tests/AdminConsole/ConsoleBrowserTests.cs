using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.AdminConsole;

/// <summary>
/// The web console as a person uses it, in headless Debian Chromium against the real service over
/// HTTPS: sign-in through the identity provider (code flow with PKCE), the API's own validation at
/// the field, sites and enrolment tokens, stale edits, and the read-only role. Each test leaves a
/// screenshot in artifacts/test-results/console.
/// </summary>
[Trait("Category", "Browser")]
public sealed partial class ConsoleBrowserTests(ConsoleService service) : IClassFixture<ConsoleService>
{
    private static readonly Regex InstallLine = InstallLinePattern();

    [Fact]
    public async Task SignIn_FullAdministrator_LandsOnTheOverviewWithNameAndRole()
    {
        IPage page = await service.SignInAsync(service.FullAdmin);

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".who")).ToContainTextAsync(service.FullAdmin.ToUpperInvariant());
        await Assertions.Expect(page.Locator(".who")).ToContainTextAsync("full-admin");
        IResponse? answer = await page.ReloadAsync();
        Assert.Contains("default-src 'none'", answer!.Headers["content-security-policy"], StringComparison.Ordinal);
        await ConsoleService.ScreenshotAsync(page, "overview");

        IPage phone = await service.SignInAsync(service.FullAdmin, width: 390);
        int overflow = await phone.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"at 390 px the page is {overflow} px wider than the screen");
        await ConsoleService.ScreenshotAsync(phone, "overview-390px");
    }

    [Fact]
    public async Task NewPages_FitAPhonesWidth_AndTheirFieldsAreLabelled()
    {
        (string site, _) = await SiteAsync("fit");
        string user = (await service.Api.CreateAsync("/api/v1/users", new { name = ManagementAppFixture.Unique("fit"), displayName = "Fit" })).Id;
        IPage phone = await service.SignInAsync(service.FullAdmin, width: 390);
        foreach (string path in new[] { "/console/users", $"/console/users/{user}", "/console/access/policies", "/console/access/policies/new", "/console/profiles", "/console/profiles/new", $"/console/sites/{site}" })
        {
            await phone.GotoAsync(path);
            await AssertFitsAndLabelledAsync(phone);
        }

        await ConsoleService.ScreenshotAsync(phone, "site-390px");
    }

    /// <summary>The page shown in <paramref name="phone"/> is no wider than its screen and every field on it has a label.</summary>
    private static async Task AssertFitsAndLabelledAsync(IPage phone)
    {
        int overflow = await phone.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"at {phone.ViewportSize?.Width} px {phone.Url} is {overflow} px wider than the screen");
        int unlabelled = await phone.EvaluateAsync<int>(
            "[...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')].filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).length");
        Assert.True(unlabelled == 0, $"{phone.Url} has {unlabelled} field(s) without a label");
    }

    [Fact]
    public async Task CreateConfiguration_WithABadCidr_ShowsTheApisMessageAtTheField_AndStoresNothing()
    {
        IPage page = await service.SignInAsync(service.FullAdmin);
        string name = ManagementAppFixture.Unique("badcidr");
        await page.GotoAsync("/console/configurations/new");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("IPv4 address pool (CIDR)").FillAsync("198.18.128.0/24");
        await page.GetByLabel("Split tunnel: include routes").FillAsync("198.18.2.0/24\n198.18.300.0/24");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create configuration" }).ClickAsync();

        ILocator routes = page.GetByLabel("Split tunnel: include routes");
        await Assertions.Expect(routes).ToHaveAttributeAsync("aria-invalid", "true");
        ILocator message = page.Locator("#includeRoutes-error");
        await Assertions.Expect(message).ToContainTextAsync("line 2:");
        await Assertions.Expect(message).ToContainTextAsync("198.18.300.0/24");
        await Assertions.Expect(routes).ToHaveValueAsync("198.18.2.0/24\n198.18.300.0/24");
        await ConsoleService.ScreenshotAsync(page, "configuration-bad-cidr");

        // The same form posted from elsewhere with the person's cookie but without the anti-forgery token (cross-site request forgery).
        IAPIResponse forged = await page.Context.APIRequest.PostAsync("/console/configurations/new", new()
        {
            Form = page.Context.APIRequest.CreateFormData()
                .Set("_handler", "configuration")
                .Set("Form.Name", name)
                .Set("Form.Ipv4Range", "198.18.128.0/24"),
            MaxRedirects = 0,
        });
        Assert.Equal(400, forged.Status);

        ApiResponse stored = await service.Api.ReadAsync($"/api/v1/configurations?name={name}");
        Assert.Equal(0, stored.Json.GetProperty("totalCount").GetInt32());
    }

    [Fact]
    public async Task CreateSite_FromTheSitesPage_IsStoredAndOpensItsPage()
    {
        string configuration = (await service.Api.CreateAsync("/api/v1/configurations", new { name = ManagementAppFixture.Unique("cfg"), ipv4Range = "198.18.128.0/24" })).Id;
        IPage page = await service.SignInAsync(service.FullAdmin);
        string name = ManagementAppFixture.Unique("site");
        await page.GotoAsync("/console/sites");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Public address (IP or FQDN clients connect to)").FillAsync("vpn.example.com");
        await page.GetByLabel("Server configuration").SelectOptionAsync(configuration);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create site" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Site {name}", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".facts")).ToContainTextAsync("The site has no servers.");
        await ConsoleService.ScreenshotAsync(page, "site-created");

        ApiResponse stored = await service.Api.ReadAsync($"/api/v1/sites?name={name}");
        JsonAssert(stored, name, "vpn.example.com", configuration);
        ApiResponse audit = await service.Api.ReadAsync($"/api/v1/audit?entityType=Site&actor=user:{service.FullAdmin}");
        Assert.True(audit.Json.GetProperty("totalCount").GetInt32() >= 1, "the console's change is not in the audit log under the person's name");
    }

    [Fact]
    public async Task IssueEnrolmentToken_ShowsTheTokenAndTheInstallLineToCopy()
    {
        string configuration = (await service.Api.CreateAsync("/api/v1/configurations", new { name = ManagementAppFixture.Unique("cfg") })).Id;
        string siteName = ManagementAppFixture.Unique("tok");
        string site = (await service.Api.CreateAsync("/api/v1/sites", new { name = siteName, publicAddress = "198.18.1.1", serverConfigurationId = configuration })).Id;
        IPage page = await service.SignInAsync(service.FullAdmin);
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await page.GotoAsync($"/console/sites/{site}");
        await page.GetByLabel("Valid for (hours)").FillAsync("4");
        await page.GetByRole(AriaRole.Button, new() { Name = "Issue enrolment token" }).ClickAsync();

        ILocator line = page.GetByLabel("Install line");
        await Assertions.Expect(line).ToHaveValueAsync(InstallLine);
        string text = await line.InputValueAsync();
        Assert.Contains($"--site '{siteName}'", text, StringComparison.Ordinal);
        Assert.Contains($"{service.BaseUrl}/install.sh", text, StringComparison.Ordinal);
        Assert.Contains("--management https://127.0.0.1:", text, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(await page.GetByLabel(new Regex("^Token")).InputValueAsync()));

        await page.Locator("button[data-copy='install-line']").ClickAsync();
        await Assertions.Expect(page.Locator("button[data-copy='install-line']")).ToHaveTextAsync("Copied");
        Assert.Equal(text, await page.EvaluateAsync<string>("navigator.clipboard.readText()"));
        await ConsoleService.ScreenshotAsync(page, "enrolment-token");

        ApiResponse tokens = await service.Api.ReadAsync($"/api/v1/sites/{site}/enrolment-tokens");
        Assert.Equal(1, tokens.Json.GetArrayLength());
    }

    [Fact]
    public async Task StaleEdit_ShowsTheConflictAndTheStoredValues_AndOverwritesNothing()
    {
        string name = ManagementAppFixture.Unique("stale");
        ApiResponse created = await service.Api.CreateAsync("/api/v1/configurations", new { name, port = 443 });
        IPage page = await service.SignInAsync(service.FullAdmin);
        await page.GotoAsync($"/console/configurations/{created.Id}");
        await page.GetByLabel("Port").FillAsync("8443");

        // Meanwhile someone else changes the port and adds a group policy through the API.
        ApiResponse other = await service.Api.SendAsync(
            HttpMethod.Put,
            $"/api/v1/configurations/{created.Id}",
            new { name, port = 10443, groupPolicies = new[] { new { group = "operations", includeRoutes = new[] { "198.18.6.0/24" } } } },
            created.ETag);
        Assert.Equal(HttpStatusCode.OK, other.Status);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();

        ILocator conflict = page.Locator("section.banner.warning");
        await Assertions.Expect(conflict).ToContainTextAsync("Someone else changed this configuration");
        ILocator port = conflict.Locator("tr", new() { HasText = "Port" });
        await Assertions.Expect(port.Locator("td").Nth(0)).ToHaveTextAsync("10443");
        await Assertions.Expect(port.Locator("td").Nth(1)).ToHaveTextAsync("8443");
        await Assertions.Expect(page.GetByLabel("Port")).ToHaveValueAsync("8443");
        ILocator policies = conflict.Locator("tr", new() { HasText = "Group policies" });
        await Assertions.Expect(policies.Locator("td").Nth(0)).ToContainTextAsync("operations");
        await Assertions.Expect(policies.Locator("td").Nth(1)).ToHaveTextAsync("");
        await ConsoleService.ScreenshotAsync(page, "stale-edit");

        ApiResponse stored = await service.Api.ReadAsync($"/api/v1/configurations/{created.Id}");
        Assert.Equal(10443, stored.Json.GetProperty("port").GetInt32());

        // Saving again after seeing the conflict is a deliberate overwrite: the edit as shown, without the policy.
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("section.banner.warning")).ToHaveCountAsync(0);
        System.Text.Json.JsonElement overwritten = (await service.Api.ReadAsync($"/api/v1/configurations/{created.Id}")).Json;
        Assert.Equal(8443, overwritten.GetProperty("port").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, overwritten.GetProperty("groupPolicies").ValueKind);
    }

    [Fact]
    public async Task ReadOnlyAdministrator_SeesNoButtonThatChanges_AndPostingAnywayIs403()
    {
        string name = ManagementAppFixture.Unique("ro");
        ApiResponse created = await service.Api.CreateAsync("/api/v1/configurations", new { name, port = 443 });
        IPage page = await service.SignInAsync(service.ReadOnlyAdmin);
        await Assertions.Expect(page.Locator(".who")).ToContainTextAsync("read-only");

        await page.GotoAsync("/console/configurations");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "New configuration" })).ToHaveCountAsync(0);
        await page.GotoAsync($"/console/configurations/{created.Id}");
        await Assertions.Expect(page.GetByLabel("Port")).ToBeDisabledAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save changes" })).ToHaveCountAsync(0);
        await ConsoleService.ScreenshotAsync(page, "read-only");
        await page.GotoAsync("/console/sites");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Create site" })).ToHaveCountAsync(0);

        // The form it was not shown, posted anyway with a valid anti-forgery token (the sign-out form's).
        string antiforgery = await page.Locator("form.signout input[name='__RequestVerificationToken']").GetAttributeAsync("value") ?? "";
        IAPIResponse posted = await page.Context.APIRequest.PostAsync($"/console/configurations/{created.Id}", new()
        {
            Form = page.Context.APIRequest.CreateFormData()
                .Set("__RequestVerificationToken", antiforgery)
                .Set("_handler", "configuration")
                .Set("Form.Name", name)
                .Set("Form.Port", "8443")
                .Set("Form.Version", "1"),
            MaxRedirects = 0,
        });
        Assert.Equal(403, posted.Status);
        Assert.Equal(443, (await service.Api.ReadAsync($"/api/v1/configurations/{created.Id}")).Json.GetProperty("port").GetInt32());
    }

    [Fact]
    public async Task WhatIf_NonCompliantDevice_ShowsTheRefusalAndItsReason_ACompliantOneIsAllowed()
    {
        string group = (await service.Api.CreateAsync("/api/v1/groups", new { name = ManagementAppFixture.Unique("grp") })).Id;
        string userName = ManagementAppFixture.Unique("wif");
        await service.Api.CreateAsync("/api/v1/users", new { name = userName, displayName = "What If", groupIds = new[] { group } });
        string configuration = (await service.Api.CreateAsync("/api/v1/configurations", new { name = ManagementAppFixture.Unique("cfg") })).Id;
        string siteName = ManagementAppFixture.Unique("wis");
        string site = (await service.Api.CreateAsync("/api/v1/sites", new { name = siteName, publicAddress = "198.18.1.1", serverConfigurationId = configuration })).Id;
        string policy = ManagementAppFixture.Unique("pol");
        await service.Api.CreateAsync("/api/v1/conditional-access-policies", new { name = policy, groupIds = new[] { group }, siteIds = new[] { site }, requireCompliantDevice = true });

        IPage page = await service.SignInAsync(service.ReadOnlyAdmin);
        await page.GetByRole(AriaRole.Link, new() { Name = "Access what-if" }).ClickAsync();
        await page.GetByLabel("User").SelectOptionAsync(new SelectOptionValue { Label = $"{userName} (What If)" });
        await page.GetByLabel("Site").SelectOptionAsync(new SelectOptionValue { Label = siteName });
        await page.GetByLabel("Device", new() { Exact = true }).SelectOptionAsync("described");
        await page.GetByLabel("Described device: enrolment").SelectOptionAsync("Enrolled");
        await page.GetByLabel("Described device: compliance").SelectOptionAsync("NonCompliant");
        await page.GetByRole(AriaRole.Button, new() { Name = "Evaluate" }).ClickAsync();

        ILocator decision = page.Locator("section[aria-labelledby='decision']");
        await Assertions.Expect(decision.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Refused");
        await Assertions.Expect(decision).ToContainTextAsync($"Policy '{policy}' requires a compliant device; the device is NonCompliant.");
        await ConsoleService.ScreenshotAsync(page, "what-if-refused");

        await page.GetByLabel("Described device: compliance").SelectOptionAsync("Compliant");
        await page.GetByRole(AriaRole.Button, new() { Name = "Evaluate" }).ClickAsync();
        await Assertions.Expect(decision.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Allowed");
        await Assertions.Expect(decision).ToContainTextAsync($"Granted by policy '{policy}'.");
    }

    [Fact]
    public async Task Devices_ApproveAPendingDevice_ThenRetireIt_BothStoredAndAudited()
    {
        string owner = (await service.Api.CreateAsync("/api/v1/users", new { name = ManagementAppFixture.Unique("own"), displayName = "Owner" })).Id;
        string name = ManagementAppFixture.Unique("dev");
        string device = (await service.Api.CreateAsync("/api/v1/devices", new { name, ownerId = owner, platform = "linux", osVersion = "12", enrolmentState = "pending" })).Id;
        IPage page = await service.SignInAsync(service.FullAdmin);
        await page.GetByRole(AriaRole.Link, new() { Name = "Devices" }).ClickAsync();
        ILocator row = page.Locator("tr", new() { HasText = name });
        await Assertions.Expect(row).ToContainTextAsync("Pending");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Approve {name}" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"{name} is approved: it is Enrolled");
        await Assertions.Expect(row.GetByRole(AriaRole.Button, new() { Name = $"Approve {name}" })).ToHaveCountAsync(0);
        Assert.Equal("enrolled", (await service.Api.ReadAsync($"/api/v1/devices/{device}")).Json.GetProperty("enrolmentState").GetString(), ignoreCase: true);

        await row.GetByRole(AriaRole.Button, new() { Name = $"Retire {name}" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"{name} is retired: it is Retired");
        await ConsoleService.ScreenshotAsync(page, "devices");
        Assert.Equal("retired", (await service.Api.ReadAsync($"/api/v1/devices/{device}")).Json.GetProperty("enrolmentState").GetString(), ignoreCase: true);
        ApiResponse audit = await service.Api.ReadAsync($"/api/v1/audit?entityId={device}&actor=user:{service.FullAdmin}");
        Assert.Equal(2, audit.Json.GetProperty("totalCount").GetInt32());

        IPage reader = await service.SignInAsync(service.ReadOnlyAdmin);
        await reader.GotoAsync("/console/devices");
        await Assertions.Expect(reader.Locator("tr", new() { HasText = name })).ToContainTextAsync("Retired");
        await Assertions.Expect(reader.GetByRole(AriaRole.Button, new() { Name = $"Retire {name}" })).ToHaveCountAsync(0);
        await Assertions.Expect(reader.GetByRole(AriaRole.Columnheader, new() { Name = "Actions" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Servers_DrainAndRevokeOnlyAfterConfirming_StoredAndAudited_ReadOnlyIsRefused()
    {
        (string site, _) = await SiteAsync("srv");
        string token = (await service.Api.CreateAsync($"/api/v1/sites/{site}/enrolment-tokens", new { })).Json.GetProperty("token").GetString()!;
        string name = ManagementAppFixture.Unique("gw");
        string server = (await service.Api.CreateAsync("/api/v1/enrolment", new { token, serverName = name, certificateRequest = Objects.CertificateRequest(name) })).Id;

        IPage page = await service.SignInAsync(service.FullAdmin);
        await page.GotoAsync($"/console/sites/{site}");
        ILocator row = page.Locator("tbody tr", new() { HasText = name });
        await row.GetByRole(AriaRole.Link, new() { Name = $"Drain {name}" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Drain server {name}?" })).ToBeVisibleAsync();
        Assert.NotEqual("draining", (await service.Api.ReadAsync($"/api/v1/servers/{server}")).Json.GetProperty("state").GetString(), StringComparer.OrdinalIgnoreCase);
        await page.GetByRole(AriaRole.Button, new() { Name = $"Drain {name}" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"Server {name} is draining");
        await Assertions.Expect(row).ToContainTextAsync("Draining");
        Assert.Equal("draining", (await service.Api.ReadAsync($"/api/v1/servers/{server}")).Json.GetProperty("state").GetString(), ignoreCase: true);

        // Revoking asks first; cancelling changes nothing.
        await row.GetByRole(AriaRole.Link, new() { Name = $"Revoke {name}" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Revoke server {name}?" })).ToBeVisibleAsync();
        await ConsoleService.ScreenshotAsync(page, "server-revoke-confirm");
        await page.GetByRole(AriaRole.Link, new() { Name = "Cancel" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Revoke server {name}?" })).ToHaveCountAsync(0);
        System.Text.Json.JsonElement certificates = (await service.Api.ReadAsync($"/api/v1/servers/{server}/certificates")).Json;
        Assert.Equal(1, certificates.GetArrayLength());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, certificates[0].GetProperty("revokedAt").ValueKind);

        await row.GetByRole(AriaRole.Link, new() { Name = $"Revoke {name}" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Revoke {name}" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"Server {name} is revoked: 1 certificate(s) revoked");
        certificates = (await service.Api.ReadAsync($"/api/v1/servers/{server}/certificates")).Json;
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, certificates[0].GetProperty("revokedAt").ValueKind);
        Assert.Equal($"revoked by user:{service.FullAdmin}", certificates[0].GetProperty("revocationReason").GetString());
        // The drain is audited on the server, the revocation on its certificate.
        ApiResponse audit = await service.Api.ReadAsync($"/api/v1/audit?entityId={server}&actor=user:{service.FullAdmin}");
        Assert.Equal(1, audit.Json.GetProperty("totalCount").GetInt32());

        // A read-only administrator is offered neither action, not even through the confirmation's address, and its post is refused.
        await service.Api.SendAsync(HttpMethod.Put, $"/api/v1/servers/{server}", new { name, drain = false }, (await service.Api.ReadAsync($"/api/v1/servers/{server}")).ETag);
        IPage reader = await service.SignInAsync(service.ReadOnlyAdmin);
        await reader.GotoAsync($"/console/sites/{site}?confirm=drain&server={server}");
        await Assertions.Expect(reader.Locator("tbody tr", new() { HasText = name })).ToBeVisibleAsync();
        await Assertions.Expect(reader.GetByRole(AriaRole.Link, new() { Name = $"Drain {name}" })).ToHaveCountAsync(0);
        await Assertions.Expect(reader.GetByRole(AriaRole.Button, new() { Name = $"Drain {name}" })).ToHaveCountAsync(0);
        Assert.Equal(403, await PostFormAsync(reader, $"/console/sites/{site}?confirm=drain&server={server}", "server-action"));
        Assert.NotEqual("draining", (await service.Api.ReadAsync($"/api/v1/servers/{server}")).Json.GetProperty("state").GetString(), StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Users_CreateWithAGroup_ResetCredentials_RevokeSessions_AndAStaleMembershipEditIsRefused()
    {
        IPage page = await service.SignInAsync(service.FullAdmin);
        await page.GetByRole(AriaRole.Link, new() { Name = "Users and groups" }).ClickAsync();
        string first = ManagementAppFixture.Unique("grp");
        string second = ManagementAppFixture.Unique("grp");
        foreach (string group in new[] { first, second })
        {
            await page.GetByLabel("Group name").FillAsync(group);
            await page.GetByRole(AriaRole.Button, new() { Name = "Create group" }).ClickAsync();
            await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"Group {group} is created.");
        }

        string name = ManagementAppFixture.Unique("usr");
        await page.GetByLabel("Sign-in name").FillAsync(name);
        await page.GetByLabel("Display name").FillAsync("Una User");
        await page.Locator("section[aria-labelledby='new-user']").GetByLabel(first, new() { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"User {name}", Level = 1 })).ToBeVisibleAsync();
        System.Text.Json.JsonElement user = (await service.Api.ReadAsync($"/api/v1/users?name={name}")).Json.GetProperty("items")[0];
        string id = user.GetProperty("id").GetString()!;
        string firstId = (await service.Api.ReadAsync($"/api/v1/groups?name={first}")).Json.GetProperty("items")[0].GetProperty("id").GetString()!;
        string secondId = (await service.Api.ReadAsync($"/api/v1/groups?name={second}")).Json.GetProperty("items")[0].GetProperty("id").GetString()!;
        Assert.Equal([firstId], user.GetProperty("groupIds").EnumerateArray().Select(g => g.GetString()!));

        // The API's password rule, at the field; then a good password that signs the user in.
        await page.GetByLabel("New password").FillAsync("short");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set password" }).ClickAsync();
        await Assertions.Expect(page.Locator("#password-error")).ToContainTextAsync("must be at least");
        await page.GetByLabel("New password").FillAsync("una-user-password-1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set password" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"A new password is set for {name}");

        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on TOTP with a new secret" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Provisioning URI (otpauth)")).ToHaveValueAsync(new Regex("^otpauth://totp/"));
        Assert.False(string.IsNullOrEmpty(await page.GetByLabel("Secret", new() { Exact = true }).InputValueAsync()));
        IAPIResponse shown = await page.Context.APIRequest.GetAsync($"/console/users/{id}");
        Assert.Contains("no-store", shown.Headers["cache-control"], StringComparison.Ordinal);
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn off TOTP" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"TOTP is off for {name}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke all sessions" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"Every session of {name} is revoked");

        // The password works: the identity provider signs the user in, and the console refuses them (no administrator group).
        IPage person = await service.NewPageAsync();
        await person.GotoAsync("/console");
        await person.GetByLabel("User name").FillAsync(name);
        await person.GetByLabel("Password").FillAsync("una-user-password-1");
        await person.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(person.GetByRole(AriaRole.Heading, new() { Name = "Sign-in refused" })).ToBeVisibleAsync();

        // Groups: someone else changes them meanwhile; saving the old view is refused and shows the stored groups.
        await page.GetByLabel(first, new() { Exact = true }).UncheckAsync();
        await page.GetByLabel(second, new() { Exact = true }).CheckAsync();
        ApiResponse current = await service.Api.ReadAsync($"/api/v1/users/{id}");
        ApiResponse other = await service.Api.SendAsync(HttpMethod.Put, $"/api/v1/users/{id}", new { name, displayName = "Una Renamed", groupIds = new[] { firstId } }, current.ETag);
        Assert.Equal(HttpStatusCode.OK, other.Status);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save groups" }).ClickAsync();
        await Assertions.Expect(page.Locator("div[role='alert']")).ToContainTextAsync("tick them again");
        await Assertions.Expect(page.GetByLabel(first, new() { Exact = true })).ToBeCheckedAsync();
        Assert.Equal("Una Renamed", (await service.Api.ReadAsync($"/api/v1/users/{id}")).Json.GetProperty("displayName").GetString());

        await page.GetByLabel(first, new() { Exact = true }).UncheckAsync();
        await page.GetByLabel(second, new() { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save groups" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"{name}'s groups are saved.");
        await ConsoleService.ScreenshotAsync(page, "user");
        user = (await service.Api.ReadAsync($"/api/v1/users/{id}")).Json;
        Assert.Equal([secondId], user.GetProperty("groupIds").EnumerateArray().Select(g => g.GetString()!));
        Assert.Equal("Una Renamed", user.GetProperty("displayName").GetString());
        ApiResponse audit = await service.Api.ReadAsync($"/api/v1/audit?entityId={id}&actor=user:{service.FullAdmin}");
        Assert.True(audit.Json.GetProperty("totalCount").GetInt32() >= 6, audit.Body);

        // A read-only administrator sees the groups but can change nothing, and a post is refused.
        IPage reader = await service.SignInAsync(service.ReadOnlyAdmin);
        await reader.GotoAsync($"/console/users/{id}");
        await Assertions.Expect(reader.GetByLabel(second, new() { Exact = true })).ToBeDisabledAsync();
        await Assertions.Expect(reader.GetByRole(AriaRole.Button)).ToHaveTextAsync(["Sign out"]);
        Assert.Equal(403, await PostFormAsync(reader, $"/console/users/{id}", "revoke-sessions"));
        await reader.GotoAsync("/console/users");
        await Assertions.Expect(reader.GetByRole(AriaRole.Button, new() { Name = "Create user" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Policies_CreateAndEdit_WhatIfOfTheUnsavedEdit_StaleSaveRefused_ReadOnlyIsRefused()
    {
        string groupName = ManagementAppFixture.Unique("grp");
        string group = (await service.Api.CreateAsync("/api/v1/groups", new { name = groupName })).Id;
        string userName = ManagementAppFixture.Unique("pwi");
        await service.Api.CreateAsync("/api/v1/users", new { name = userName, displayName = "Policy User", groupIds = new[] { group } });
        (string site, string siteName) = await SiteAsync("pst");

        IPage page = await service.SignInAsync(service.FullAdmin);
        await page.GetByRole(AriaRole.Link, new() { Name = "Access policies" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New policy" }).ClickAsync();
        await page.GetByLabel(groupName, new() { Exact = true }).CheckAsync();
        await page.GetByLabel(siteName, new() { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create policy" }).ClickAsync();
        await Assertions.Expect(page.Locator("#name-error")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel(siteName, new() { Exact = true })).ToBeCheckedAsync();

        string name = ManagementAppFixture.Unique("pol");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create policy" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Policy {name}", Level = 1 })).ToBeVisibleAsync();
        System.Text.Json.JsonElement stored = (await service.Api.ReadAsync($"/api/v1/conditional-access-policies?siteId={site}")).Json.GetProperty("items")[0];
        string id = stored.GetProperty("id").GetString()!;
        Assert.Equal(group, stored.GetProperty("groupIds")[0].GetString());
        Assert.Equal(site, stored.GetProperty("siteIds")[0].GetString());
        Assert.True(stored.GetProperty("requireCompliantDevice").GetBoolean());

        // What if: a non-compliant device is refused by the stored rule, and admitted by the unsaved edit.
        await page.GetByLabel("User").SelectOptionAsync(new SelectOptionValue { Label = $"{userName} (Policy User)" });
        await page.GetByLabel("Site", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = siteName });
        await page.GetByLabel("Device: enrolment").SelectOptionAsync("Enrolled");
        await page.GetByLabel("Device: compliance").SelectOptionAsync("NonCompliant");
        await page.GetByRole(AriaRole.Button, new() { Name = "Evaluate this edit" }).ClickAsync();
        ILocator decision = page.Locator("section[aria-labelledby='decision']");
        await Assertions.Expect(decision.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Refused");
        await Assertions.Expect(decision).ToContainTextAsync($"Policy '{name}' requires a compliant device; the device is NonCompliant.");
        await page.GetByLabel("An enrolled device must be compliant").UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Evaluate this edit" }).ClickAsync();
        await Assertions.Expect(decision.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Allowed");
        await Assertions.Expect(decision).ToContainTextAsync($"Granted by policy '{name}'.");
        await Assertions.Expect(page.GetByLabel("An enrolled device must be compliant")).Not.ToBeCheckedAsync();
        await ConsoleService.ScreenshotAsync(page, "policy-what-if");
        Assert.True((await service.Api.ReadAsync($"/api/v1/conditional-access-policies/{id}")).Json.GetProperty("requireCompliantDevice").GetBoolean());

        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"Policy {name} is saved.");
        Assert.False((await service.Api.ReadAsync($"/api/v1/conditional-access-policies/{id}")).Json.GetProperty("requireCompliantDevice").GetBoolean());

        // Someone else changes it meanwhile: the next save is refused and keeps the edit.
        ApiResponse current = await service.Api.ReadAsync($"/api/v1/conditional-access-policies/{id}");
        ApiResponse other = await service.Api.SendAsync(HttpMethod.Put, $"/api/v1/conditional-access-policies/{id}", new { name, groupIds = new[] { group }, siteIds = new[] { site }, description = "changed elsewhere", requireCompliantDevice = false }, current.ETag);
        Assert.Equal(HttpStatusCode.OK, other.Status);
        await page.GetByLabel("Description (optional)").FillAsync("mine");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("div[role='alert']")).ToContainTextAsync("someone else changed this policy");
        await Assertions.Expect(page.GetByLabel("Description (optional)")).ToHaveValueAsync("mine");
        Assert.Equal("changed elsewhere", (await service.Api.ReadAsync($"/api/v1/conditional-access-policies/{id}")).Json.GetProperty("description").GetString());
        ApiResponse audit = await service.Api.ReadAsync($"/api/v1/audit?entityId={id}&actor=user:{service.FullAdmin}");
        Assert.Equal(2, audit.Json.GetProperty("totalCount").GetInt32());

        IPage reader = await ReadOnlyFormAsync($"/console/access/policies/{id}", "policy");
        await reader.GotoAsync("/console/access/policies");
        await Assertions.Expect(reader.GetByRole(AriaRole.Link, new() { Name = name })).ToBeVisibleAsync();
        await Assertions.Expect(reader.GetByRole(AriaRole.Link, new() { Name = "New policy" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Profiles_CreateAndAssign_ThenEditKeepingTheApisRules_ReadOnlyIsRefused()
    {
        string groupName = ManagementAppFixture.Unique("grp");
        string group = (await service.Api.CreateAsync("/api/v1/groups", new { name = groupName })).Id;
        (string site, string siteName) = await SiteAsync("prs");

        IPage page = await service.SignInAsync(service.FullAdmin);
        await page.GetByRole(AriaRole.Link, new() { Name = "VPN profiles" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New VPN profile" }).ClickAsync();
        string name = ManagementAppFixture.Unique("prf");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Site").SelectOptionAsync(new SelectOptionValue { Label = siteName });
        await page.GetByLabel("Platform").SelectOptionAsync("Linux");
        await page.GetByLabel("Always on").CheckAsync();
        await page.GetByLabel("Lockdown").CheckAsync();
        await page.GetByLabel(groupName, new() { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create VPN profile" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"VPN profile {name}", Level = 1 })).ToBeVisibleAsync();
        System.Text.Json.JsonElement stored = (await service.Api.ReadAsync($"/api/v1/profiles?siteId={site}")).Json.GetProperty("items")[0];
        string id = stored.GetProperty("id").GetString()!;
        Assert.Equal(name, stored.GetProperty("name").GetString());
        Assert.Equal("linux", stored.GetProperty("platform").GetString(), ignoreCase: true);
        Assert.True(stored.GetProperty("alwaysOn").GetBoolean());
        Assert.True(stored.GetProperty("lockdown").GetBoolean());
        Assert.Equal(group, stored.GetProperty("assignedGroupIds")[0].GetString());

        // Rules the form does not edit (on-demand) are set through the API and survive the console's edit.
        ApiResponse current = await service.Api.ReadAsync($"/api/v1/profiles/{id}");
        ApiResponse withRules = await service.Api.SendAsync(HttpMethod.Put, $"/api/v1/profiles/{id}", new
        {
            name,
            siteId = site,
            platform = "linux",
            alwaysOn = true,
            assignedGroupIds = new[] { group },
            onDemandRules = new[] { new { match = "domains", values = new[] { "corp.example.com" }, action = "connect" } },
        }, current.ETag);
        Assert.Equal(HttpStatusCode.OK, withRules.Status);
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("[id='onDemandRules[0].values']")).ToHaveValueAsync("corp.example.com");

        // The on-demand fields: a bad number and a bad suffix stand at their fields, good values are stored.
        await page.GetByLabel(new Regex("^Disconnect an on-demand tunnel")).FillAsync("ten");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("#onDemandIdleSeconds-error")).ToContainTextAsync("'ten' is not a whole number.");
        await page.GetByLabel(new Regex("^Disconnect an on-demand tunnel")).FillAsync("600");
        await page.GetByLabel(new Regex("^Trusted networks: DNS suffixes")).FillAsync("office example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("[id='trustedNetwork.dnsSuffixes-error']")).ToContainTextAsync("'office example' is not a DNS domain name.");
        await page.GetByLabel(new Regex("^Trusted networks: DNS suffixes")).FillAsync("office.example.com");
        await page.GetByLabel(new Regex("^Trusted networks: probe URL")).FillAsync("http://probe.example.com/");
        await page.GetByLabel(new Regex("^Probe: expected HTTP status")).FillAsync("204");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"VPN profile {name} is saved.");
        System.Text.Json.JsonElement onDemand = (await service.Api.ReadAsync($"/api/v1/profiles/{id}")).Json;
        Assert.Equal("office.example.com", onDemand.GetProperty("trustedNetwork").GetProperty("dnsSuffixes")[0].GetString());
        Assert.Equal(204, onDemand.GetProperty("trustedNetwork").GetProperty("probeStatus").GetInt32());
        Assert.Equal(600, onDemand.GetProperty("onDemandIdleSeconds").GetInt32());
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByLabel(new Regex("^Trusted networks: probe URL"))).ToHaveValueAsync("http://probe.example.com/");
        await page.GetByLabel(new Regex("^Per-app VPN")).FillAsync("bad identifier with spaces");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("#perAppIdentifiers-error")).ToBeVisibleAsync();
        await page.GetByLabel(new Regex("^Per-app VPN")).FillAsync("");
        await page.GetByLabel(groupName, new() { Exact = true }).UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"VPN profile {name} is saved.");
        await ConsoleService.ScreenshotAsync(page, "profile");
        stored = (await service.Api.ReadAsync($"/api/v1/profiles/{id}")).Json;
        Assert.Equal(0, stored.GetProperty("assignedGroupIds").GetArrayLength());
        Assert.Equal(1, stored.GetProperty("onDemandRules").GetArrayLength());

        IPage reader = await ReadOnlyFormAsync($"/console/profiles/{id}", "profile");
        await reader.GotoAsync("/console/profiles");
        await Assertions.Expect(reader.GetByRole(AriaRole.Link, new() { Name = "New VPN profile" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task ProfileEdit_OnDemandRuleAndProxy_AreStored_ABadProxyStandsAtItsField_AStaleSaveIsRefused()
    {
        (string site, _) = await SiteAsync("odp");
        string name = ManagementAppFixture.Unique("prx");
        string id = (await service.Api.CreateAsync("/api/v1/profiles", new { name, siteId = site, platform = "linux" })).Id;
        IPage page = await service.SignInAsync(service.FullAdmin);
        await page.GotoAsync($"/console/profiles/{id}");
        ILocator rule = page.Locator("fieldset.item", new() { HasText = "New on-demand rule" });
        await rule.GetByLabel("Match", new() { Exact = true }).SelectOptionAsync("Domains");
        await rule.GetByLabel(new Regex("^Values")).FillAsync("corp.example.com\ngit.example.com");
        await rule.GetByLabel("Action", new() { Exact = true }).SelectOptionAsync("Evaluate");
        await page.GetByLabel("Proxy host (name or address)").FillAsync("proxy.example.com");
        await page.GetByLabel("Proxy port").FillAsync("99999");
        await page.GetByLabel(new Regex("^Hosts that bypass the proxy")).FillAsync("*.corp.example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();

        // A port out of range: the API's message at the port, nothing stored.
        await Assertions.Expect(page.Locator("[id='proxy.port-error']")).ToContainTextAsync("it must be between 1 and 65535");
        await Assertions.Expect(page.GetByLabel("Proxy port")).ToHaveAttributeAsync("aria-invalid", "true");
        System.Text.Json.JsonElement stored = (await service.Api.ReadAsync($"/api/v1/profiles/{id}")).Json;
        Assert.Equal(0, stored.GetProperty("onDemandRules").GetArrayLength());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, stored.GetProperty("proxy").ValueKind);

        // A PAC URL beside a host: the proxy's own message, above its fields.
        await page.GetByLabel("PAC file URL").FillAsync("http://wpad.example.com/proxy.pac");
        await page.GetByLabel("Proxy port").FillAsync("3128");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("#proxy-error")).ToContainTextAsync("either a PAC URL or a host and port");
        await ConsoleService.ScreenshotAsync(page, "profile-bad-proxy");

        await page.GetByLabel("PAC file URL").FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"VPN profile {name} is saved.");
        stored = (await service.Api.ReadAsync($"/api/v1/profiles/{id}")).Json;
        System.Text.Json.JsonElement saved = Assert.Single(stored.GetProperty("onDemandRules").EnumerateArray());
        Assert.Equal("domains", saved.GetProperty("match").GetString());
        Assert.Equal(["corp.example.com", "git.example.com"], saved.GetProperty("values").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("evaluate", saved.GetProperty("action").GetString());
        System.Text.Json.JsonElement proxy = stored.GetProperty("proxy");
        Assert.Equal("proxy.example.com", proxy.GetProperty("host").GetString());
        Assert.Equal(3128, proxy.GetProperty("port").GetInt32());
        Assert.Equal(["*.corp.example.com"], proxy.GetProperty("exclusions").EnumerateArray().Select(v => v.GetString()));

        // A rule with a bad range is named at its own row's values.
        await page.GotoAsync($"/console/profiles/{id}");
        await Assertions.Expect(page.Locator("[id='onDemandRules[0].values']")).ToHaveValueAsync("corp.example.com\ngit.example.com");
        await page.Locator("[id='onDemandRules[1].match']").SelectOptionAsync("IpRanges");
        await page.Locator("[id='onDemandRules[1].values']").FillAsync("198.18.0.0/33");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("[id='onDemandRules[1].values-error']")).ToContainTextAsync("line 1:");
        await page.Locator("[id='onDemandRules[1].values']").FillAsync("198.18.0.0/16");

        // Meanwhile someone else changes the profile through the API: the console's save is refused, nothing overwritten.
        ApiResponse current = await service.Api.ReadAsync($"/api/v1/profiles/{id}");
        ApiResponse other = await service.Api.SendAsync(HttpMethod.Put, $"/api/v1/profiles/{id}", new { name, siteId = site, platform = "linux", description = "changed elsewhere" }, current.ETag);
        Assert.Equal(HttpStatusCode.OK, other.Status);
        await page.GetByLabel("Proxy port").FillAsync("8080");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("div[role='alert']")).ToContainTextAsync("someone else changed this profile");
        await Assertions.Expect(page.GetByLabel("Proxy port")).ToHaveValueAsync("8080");
        stored = (await service.Api.ReadAsync($"/api/v1/profiles/{id}")).Json;
        Assert.Equal("changed elsewhere", stored.GetProperty("description").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, stored.GetProperty("proxy").ValueKind);

        // Saving again is a deliberate overwrite with the edit as shown.
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("p[role='status']")).ToContainTextAsync($"VPN profile {name} is saved.");
        stored = (await service.Api.ReadAsync($"/api/v1/profiles/{id}")).Json;
        Assert.Equal(8080, stored.GetProperty("proxy").GetProperty("port").GetInt32());
        Assert.Equal(2, stored.GetProperty("onDemandRules").GetArrayLength());
        Assert.Equal("ipRanges", stored.GetProperty("onDemandRules")[1].GetProperty("match").GetString());
        await ConsoleService.ScreenshotAsync(page, "profile-on-demand-proxy");

        IPage phone = await service.SignInAsync(service.FullAdmin, width: 390);
        await phone.GotoAsync($"/console/profiles/{id}");
        await AssertFitsAndLabelledAsync(phone);
        await ConsoleService.ScreenshotAsync(phone, "profile-390px");
    }

    /// <summary>
    /// A read-only administrator on the edit page <paramref name="path"/>: the form is disabled, the
    /// only button is Sign out, and posting the form <paramref name="handler"/> anyway is refused (403).
    /// </summary>
    private async Task<IPage> ReadOnlyFormAsync(string path, string handler)
    {
        IPage reader = await service.SignInAsync(service.ReadOnlyAdmin);
        await reader.GotoAsync(path);
        await Assertions.Expect(reader.GetByLabel("Name", new() { Exact = true })).ToBeDisabledAsync();
        await Assertions.Expect(reader.GetByRole(AriaRole.Button)).ToHaveTextAsync(["Sign out"]);
        Assert.Equal(403, await PostFormAsync(reader, path, handler));
        return reader;
    }

    /// <summary>A new site (name starting with <paramref name="prefix"/>) with a configuration of its own, made through the API.</summary>
    private async Task<(string Id, string Name)> SiteAsync(string prefix)
    {
        string configuration = (await service.Api.CreateAsync("/api/v1/configurations", new { name = ManagementAppFixture.Unique("cfg") })).Id;
        string name = ManagementAppFixture.Unique(prefix);
        return ((await service.Api.CreateAsync("/api/v1/sites", new { name, publicAddress = "198.18.1.1", serverConfigurationId = configuration })).Id, name);
    }

    /// <summary>
    /// Posts the form <paramref name="handler"/> to <paramref name="path"/> as the signed-in person's
    /// browser would, with a valid anti-forgery token (the sign-out form's) though the page did not show
    /// that form; answers the status.
    /// </summary>
    private static async Task<int> PostFormAsync(IPage page, string path, string handler)
    {
        string antiforgery = await page.Locator("form.signout input[name='__RequestVerificationToken']").GetAttributeAsync("value") ?? "";
        IAPIResponse posted = await page.Context.APIRequest.PostAsync(path, new()
        {
            Form = page.Context.APIRequest.CreateFormData()
                .Set("__RequestVerificationToken", antiforgery)
                .Set("_handler", handler),
            MaxRedirects = 0,
        });
        return posted.Status;
    }

    private static void JsonAssert(ApiResponse page, string name, string address, string configuration)
    {
        System.Text.Json.JsonElement site = page.Json.GetProperty("items")[0];
        Assert.Equal(name, site.GetProperty("name").GetString());
        Assert.Equal(address, site.GetProperty("publicAddress").GetString());
        Assert.Equal(configuration, site.GetProperty("serverConfigurationId").GetString());
    }

    [GeneratedRegex(@"^sh -c '.*' \| sudo sh -s -- --management \S+ --site '[^']+' --token-file FILE --ca-pin pin-sha256:\S+$", RegexOptions.Singleline)]
    private static partial Regex InstallLinePattern();
}
