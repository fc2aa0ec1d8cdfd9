using OpenTunnel.Client.State;
using OpenTunnel.Client.Tests.Harness;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Management.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.Cli;

/// <summary>
/// Profiles against the real management service: fetched at sign-in into <c>profiles.json</c>,
/// listed by <c>profiles</c>, and their proxy put into the environment of <c>run</c>'s command.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProfilesVerbTests(ClientFixture fixture) : IClassFixture<ClientFixture>
{
    [Fact]
    public async Task SignIn_StoresAssignedProfile_ProfilesListsIt_RunGetsItsProxy()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestUser outsider = await fixture.CreateUserAsync(inAllowedGroup: false);
        string name = ManagementAppFixture.Unique("office");
        await fixture.Admin.CreateAsync("/api/v1/profiles", new
        {
            name,
            siteId = fixture.SiteId,
            platform = "linux",
            assignedGroupIds = new[] { fixture.AllowedGroupId },
            proxy = new { host = "198.18.2.80", port = 3128, exclusions = new[] { "*.corp.example", "198.18.2.10" } },
        });
        using var client = new ClientUnderTest(fixture, ["true"]);
        using var other = new ClientUnderTest(fixture, ["true"]);
        using var output = new TemporaryDirectory();

        Assert.Equal(ExitCodes.Success, await client.SignInAsync(user.Name));
        Assert.Equal(ExitCodes.Success, await other.SignInAsync(outsider.Name));
        Assert.Equal(ExitCodes.Success, await client.RunAsync("profiles"));
        Assert.Equal(ExitCodes.Success, await client.RunAsync("run", "--profile", name, "--", "sh", "-c", $"env > {output.File("env")}"));
        Assert.Equal(ExitCodes.Configuration, await client.RunAsync("run", "--profile", "nope", "--", "true"));

        StoredProfiles stored = client.State.FindProfiles()!;
        Assert.Contains(stored.Profiles, p => p.Name == name && p.Site.PublicAddress == "198.18.1.1" && p.Site.Port == 443 && p.Proxy!.Port == 3128);
        Assert.NotNull(stored.ETag);
        Assert.Contains($"{name}  site {fixture.SiteName} (https://198.18.1.1/)  proxy 198.18.2.80:3128, bypassing *.corp.example, 198.18.2.10", client.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(other.State.FindProfiles()!.Profiles, p => p.Name == name);
        string[] environment = File.ReadAllLines(output.File("env"));
        Assert.Contains("http_proxy=http://198.18.2.80:3128/", environment);
        Assert.Contains("HTTPS_PROXY=http://198.18.2.80:3128/", environment);
        Assert.Contains("no_proxy=.corp.example,198.18.2.10", environment);
        Assert.Contains($"No VPN profile 'nope' is stored", client.Errors, StringComparison.Ordinal);
    }
}
