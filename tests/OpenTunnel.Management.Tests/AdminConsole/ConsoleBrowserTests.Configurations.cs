using Microsoft.Playwright;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.AdminConsole;

/// <summary>The server configuration form checked while it is typed in.</summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task ConfigurationEdit_KeepsTheLoadBalancingAndGroupPoliciesTheFormDoesNotShow()
    {
        string name = ManagementAppFixture.Unique("kept");
        ApiResponse created = await service.Api.CreateAsync("/api/v1/configurations", new
        {
            name,
            port = 443,
            loadBalancing = new { mode = "redirect", thresholdPercent = 30 },
            groupPolicies = new[] { new { group = "engineering", includeRoutes = new[] { "198.18.2.0/24" } } },
        });
        IPage page = await service.SignInAsync(service.FullAdmin);
        await page.GotoAsync($"/console/configurations/{created.Id}");
        await page.GetByLabel("Port").FillAsync("8443");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();

        // The save is an enhanced form post: wait for what it stores rather than for a page load.
        var stored = (await service.Api.ReadAsync($"/api/v1/configurations/{created.Id}")).Json;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); stored.GetProperty("port").GetInt32() != 8443 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(200);
            stored = (await service.Api.ReadAsync($"/api/v1/configurations/{created.Id}")).Json;
        }

        Assert.Equal(8443, stored.GetProperty("port").GetInt32());
        Assert.Equal("redirect", stored.GetProperty("loadBalancing").GetProperty("mode").GetString());
        Assert.Equal(30, stored.GetProperty("loadBalancing").GetProperty("thresholdPercent").GetInt32());
        Assert.Equal("engineering", stored.GetProperty("groupPolicies")[0].GetProperty("group").GetString());
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
