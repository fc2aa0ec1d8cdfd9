using System.Text.Json;
using Microsoft.Playwright;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.AdminConsole;

/// <summary>The server configuration form: its group policies and load balancing, and its checks while it is typed in.</summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task ConfigurationEdit_GroupPoliciesAndLoadBalancing_AreEditedStoredAndCounted_ABadCidrStandsAtItsRow()
    {
        string name = ManagementAppFixture.Unique("groups");
        ApiResponse created = await service.Api.CreateAsync("/api/v1/configurations", new { name, includeRoutes = new[] { "198.18.2.0/24" } });
        IPage page = await service.SignInAsync(service.FullAdmin);
        await page.GotoAsync($"/console/configurations/{created.Id}");
        await Assertions.Expect(page.Locator("#route-count")).ToHaveTextAsync("1 of 500 used.");
        await page.GetByLabel("Mode", new() { Exact = true }).SelectOptionAsync("redirect");
        await page.GetByLabel("Threshold (percent more sessions)").FillAsync("35");

        // The new policy's row; while typing, its bad CIDR is named at its field and its good route counts.
        ILocator policy = page.Locator("fieldset.item", new() { HasText = "New group policy" });
        await policy.GetByLabel("Group", new() { Exact = true }).FillAsync("engineering");
        await policy.GetByLabel("DNS servers").FillAsync("198.18.4.53");
        await policy.GetByLabel("DNS suffix (optional)").FillAsync("eng.example.com");
        ILocator routes = page.Locator("[id='groupPolicies[0].includeRoutes']");
        await routes.FillAsync("198.18.4.0/24\n198.18.300.0/24");
        await Assertions.Expect(page.Locator("[id='groupPolicies[0].includeRoutes-error']")).ToContainTextAsync("line 2:");
        await Assertions.Expect(page.Locator("#route-count")).ToHaveTextAsync("2 of 500 used.");

        // Saved anyway: refused, the API's message at the row's field, nothing stored.
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("div[role='alert']", new() { HasText = "was not saved" })).ToBeVisibleAsync();
        await Assertions.Expect(routes).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(routes).ToHaveAttributeAsync("aria-describedby", "groupPolicies[0].includeRoutes-error");
        await Assertions.Expect(page.Locator("[id='groupPolicies[0].includeRoutes-error']")).ToContainTextAsync("198.18.300.0/24");
        await Assertions.Expect(routes).ToHaveValueAsync("198.18.4.0/24\n198.18.300.0/24");
        await ConsoleService.ScreenshotAsync(page, "configuration-group-policy-bad-cidr");
        JsonElement stored = (await service.Api.ReadAsync($"/api/v1/configurations/{created.Id}")).Json;
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("groupPolicies").ValueKind);

        await routes.FillAsync("198.18.4.0/24");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        stored = await StoredWhenAsync(created.Id, s => s.GetProperty("groupPolicies").ValueKind == JsonValueKind.Array);
        Assert.Equal("redirect", stored.GetProperty("loadBalancing").GetProperty("mode").GetString());
        Assert.Equal(35, stored.GetProperty("loadBalancing").GetProperty("thresholdPercent").GetInt32());
        JsonElement saved = Assert.Single(stored.GetProperty("groupPolicies").EnumerateArray());
        Assert.Equal("engineering", saved.GetProperty("group").GetString());
        Assert.Equal(["198.18.4.0/24"], saved.GetProperty("includeRoutes").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(["198.18.4.53"], saved.GetProperty("dnsServers").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("eng.example.com", saved.GetProperty("dnsSuffix").GetString());
        Assert.False(saved.GetProperty("replaceRoutes").GetBoolean());

        // The stored policy is shown with a new row under it; the first is removed while a second is added
        // with a bad route: the message stands at the second row, though the API numbers it first.
        await page.GotoAsync($"/console/configurations/{created.Id}");
        await Assertions.Expect(page.Locator("[id='groupPolicies[0].group']")).ToHaveValueAsync("engineering");
        await Assertions.Expect(page.Locator("#route-count")).ToHaveTextAsync("2 of 500 used.");
        await page.GetByLabel("Remove this group policy when saving").CheckAsync();
        await page.Locator("[id='groupPolicies[1].group']").FillAsync("sales");
        await page.Locator("[id='groupPolicies[1].excludeRoutes']").FillAsync("198.18.5.0/33");
        await page.Locator("[id='groupPolicies[1].replaceRoutes']").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("[id='groupPolicies[1].excludeRoutes-error']")).ToContainTextAsync("line 1:");
        await Assertions.Expect(page.Locator("[id='groupPolicies[0].excludeRoutes-error']")).ToHaveCountAsync(0);
        await page.Locator("[id='groupPolicies[1].excludeRoutes']").FillAsync("198.18.5.0/24");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        stored = await StoredWhenAsync(created.Id, s => s.GetProperty("groupPolicies")[0].GetProperty("group").GetString() == "sales");
        saved = Assert.Single(stored.GetProperty("groupPolicies").EnumerateArray());
        Assert.True(saved.GetProperty("replaceRoutes").GetBoolean());
        Assert.Equal(["198.18.5.0/24"], saved.GetProperty("excludeRoutes").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("redirect", stored.GetProperty("loadBalancing").GetProperty("mode").GetString());

        // The form with its policies fits a phone, and every field has a label.
        IPage phone = await service.SignInAsync(service.FullAdmin, width: 390);
        await phone.GotoAsync($"/console/configurations/{created.Id}");
        await AssertFitsAndLabelledAsync(phone);
        await ConsoleService.ScreenshotAsync(phone, "configuration-group-policies-390px");
    }

    /// <summary>The configuration as the API reads it once <paramref name="saved"/> holds (an enhanced form post: wait for what it stores rather than for a page load).</summary>
    private async Task<JsonElement> StoredWhenAsync(string id, Func<JsonElement, bool> saved)
    {
        JsonElement stored = (await service.Api.ReadAsync($"/api/v1/configurations/{id}")).Json;
        for (var deadline = DateTime.UtcNow.AddSeconds(60); !saved(stored) && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(200);
            stored = (await service.Api.ReadAsync($"/api/v1/configurations/{id}")).Json;
        }

        Assert.True(saved(stored), $"the console's save is not stored: {stored}");
        return stored;
    }

    [Fact]
    public async Task ConfigurationForm_WhileTyping_ShowsTheApisMessagesAtTheFields_AndCountsTheRoutes_StoringNothing()
    {
        IPage page = await service.SignInAsync(service.FullAdmin);
        string name = ManagementAppFixture.Unique("typing");
        await page.GotoAsync("/console/configurations/new");
        await Assertions.Expect(page.Locator("#route-count")).ToHaveTextAsync("0 of 500 used.");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        ILocator routes = page.GetByLabel("Split tunnel: include routes");
        await routes.FillAsync("198.18.2.0/24\n198.18.300.0/24");

        await Assertions.Expect(routes).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(routes).ToHaveAttributeAsync("aria-describedby", "includeRoutes-error");
        await Assertions.Expect(page.Locator("#includeRoutes-error")).ToContainTextAsync("line 2:");
        await Assertions.Expect(page.Locator("#includeRoutes-error")).ToContainTextAsync("198.18.300.0/24");
        await Assertions.Expect(page.Locator("#route-count")).ToHaveTextAsync("2 of 500 used.");

        // A port that is no number is named, and the other fields are still checked.
        await page.GetByLabel("Port").FillAsync("80a");
        await Assertions.Expect(page.Locator("#port-error")).ToContainTextAsync("'80a' is not a whole number.");
        await Assertions.Expect(page.Locator("#includeRoutes-error")).ToContainTextAsync("line 2:");
        await ConsoleService.ScreenshotAsync(page, "configuration-while-typing");

        // Include and exclude together over the limit: the API's message at the include routes.
        await page.GetByLabel("Split tunnel: exclude routes").FillAsync(string.Join('\n', Enumerable.Range(0, 500).Select(i => $"198.19.{i / 256}.{i % 256}/32")));
        await Assertions.Expect(page.Locator("#route-count")).ToHaveTextAsync("502 of 500 used.");
        await Assertions.Expect(page.Locator("#includeRoutes-error")).ToContainTextAsync("add up to 502; at most 500 are allowed together");

        // Put right, the messages go.
        await page.GetByLabel("Split tunnel: exclude routes").FillAsync("");
        await routes.FillAsync("198.18.2.0/24");
        await page.GetByLabel("Port").FillAsync("443");
        await Assertions.Expect(page.Locator("#includeRoutes-error")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#port-error")).ToHaveCountAsync(0);
        await Assertions.Expect(routes).Not.ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator("#route-count")).ToHaveTextAsync("1 of 500 used.");
        Assert.Equal(0, (await service.Api.ReadAsync($"/api/v1/configurations?name={name}")).Json.GetProperty("totalCount").GetInt32());

        // Without the form's anti-forgery token the check is refused.
        IAPIResponse forged = await page.Context.APIRequest.PostAsync("/console/configurations/validate", new()
        {
            Form = page.Context.APIRequest.CreateFormData().Set("Form.Name", name),
            MaxRedirects = 0,
        });
        Assert.Equal(400, forged.Status);

        // A read-only administrator cannot change a configuration, so it is not checked for them either.
        IPage reader = await service.SignInAsync(service.ReadOnlyAdmin);
        Assert.Equal(403, await PostFormAsync(reader, "/console/configurations/validate", "configuration"));
    }
}
