using System.Net;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenTunnel.Client.State;
using OpenTunnel.Client.Tests.Harness;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Management.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.Cli;

/// <summary>
/// <c>signin --unenrolled</c> against the real management service and its identity provider on
/// 127.0.0.1: a user whose group a conditional-access policy lets in from unenrolled devices gets
/// gateway tokens marked <c>compliance: unmanaged</c> without ever enrolling, and <c>status</c> says
/// so; a user whose only policy requires an enrolled device is refused with a message that says why
/// and what to do.
/// </summary>
[Trait("Category", "Integration")]
public sealed class UnenrolledSignInTests(ClientFixture fixture) : IClassFixture<ClientFixture>
{
    [Fact]
    public async Task SignInUnenrolled_PolicyAllowsUnenrolledDevices_TokensAreMarkedUnmanaged_AndStatusSaysSo()
    {
        string user = await UserWithUnenrolledAccessAsync();
        using var client = new ClientUnderTest(fixture, ["nft", "-j", "list", "ruleset"]);

        Assert.Equal(ExitCodes.Success, await client.SignInAsync(user, "--site", fixture.SiteName, "--unenrolled"));
        Assert.Contains(SignInState.UnenrolledNote, client.Output, StringComparison.Ordinal);
        Assert.True(client.SignInFile().GetProperty("unenrolled").GetBoolean());
        Assert.Null(client.State.FindDevice());

        using var output = new TemporaryDirectory();
        Assert.Equal(ExitCodes.Success, await client.RunAsync("token", "--site", fixture.SiteName, "--out", output.File("token")));
        var token = new JsonWebToken(File.ReadAllText(output.File("token")));
        Assert.Equal("unmanaged", token.GetClaim("compliance").Value);
        Assert.False(token.TryGetClaim("device_id", out _), "a token of a sign-in without a device names a device");
        Assert.Equal(fixture.SiteId, token.GetClaim("site").Value);

        Assert.Equal(ExitCodes.Success, await client.RunAsync("status"));
        Assert.Contains("Device: not enrolled.", client.Output, StringComparison.Ordinal);
        Assert.Equal(2, Count(client.Output, SignInState.UnenrolledNote));
        Assert.Equal(ExitCodes.Success, await client.RunAsync("status", "--json"));
        Assert.Contains("\"unenrolled\": true", client.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInUnenrolled_OnlyPolicyRequiresAnEnrolledDevice_IsRefusedSayingWhyAndWhatToDo()
    {
        TestUser user = await fixture.CreateUserAsync();
        using var client = new ClientUnderTest(fixture, ["nft", "-j", "list", "ruleset"]);

        Assert.Equal(ExitCodes.NoPermission, await client.SignInAsync(user.Name, "--site", fixture.SiteName, "--unenrolled"));

        Assert.Contains("The sign-in without a device was refused: conditional access gives you no gateway access from an unenrolled device (Policy 'vpn' requires an enrolled device.", client.Errors, StringComparison.Ordinal);
        Assert.Contains("An administrator can allow unenrolled devices in a conditional-access policy", client.Errors, StringComparison.Ordinal);
        Assert.False(File.Exists(client.State.SignInFile), "a refused sign-in was stored");
    }

    /// <summary>A user in a group of its own that a policy lets reach the fixture's site from unenrolled devices.</summary>
    private async Task<string> UserWithUnenrolledAccessAsync()
    {
        string group = (await fixture.Admin.CreateAsync("/api/v1/groups", new { name = ManagementAppFixture.Unique("unmanaged") })).Id;
        await fixture.Admin.CreateAsync("/api/v1/conditional-access-policies", new
        {
            name = ManagementAppFixture.Unique("unenrolled"),
            groupIds = new[] { group },
            siteIds = new[] { fixture.SiteId },
            requireCompliantDevice = false,
            allowUnenrolledDevices = true,
        });
        string name = ManagementAppFixture.Unique("user");
        ApiResponse user = await fixture.Admin.CreateAsync("/api/v1/users", new { name, displayName = "Test " + name, enabled = true, groupIds = new[] { group } });
        ApiResponse password = await fixture.Admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{user.Id}/password", new { password = IdentityFixture.Password });
        Assert.Equal(HttpStatusCode.NoContent, password.Status);
        return name;
    }

    private static int Count(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
