using System.Net;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Credentials;

/// <summary>
/// A credential reset ends everything the old credential opened: the user's refresh token is
/// refused and every enrolled server is told to revoke the user (its gateway ends the tunnels and
/// refuses the access tokens issued before the change).
/// </summary>
[Trait("Category", "Integration")]
public sealed class CredentialAdministrationTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    /// <summary>Longer than a delivery round, so an event, had one been recorded, would have been delivered.</summary>
    private static readonly TimeSpan AccessEventDeliveryPoll = OpenTunnel.Identity.Access.AccessEventDelivery.PollInterval * 2;

    public static TheoryData<string, string> Resets => new()
    {
        { "PUT", "password" },
        { "POST", "totp" },
        { "DELETE", "totp" },
    };

    [Theory]
    [MemberData(nameof(Resets))]
    public async Task CredentialReset_RefreshRefusedAndServersToldToRevokeTheUser(string method, string resource)
    {
        (_, ApiResponse server) = await Objects.EnrolledServerAsync(fixture.Admin, fixture.Anonymous);
        TestUser user = await fixture.CreateUserAsync();
        TokenResponse tokens = await fixture.Oidc.DeviceFlowAsync(user.Name, IdentityFixture.Password, "openid offline_access opentunnel.device");
        Assert.Null((await fixture.Oidc.RefreshAsync(tokens.RefreshToken!)).Error);
        object? body = resource == "password" ? new { password = "a new password of the user" } : null;

        ApiResponse reset = await fixture.Admin.SendAsync(new HttpMethod(method), $"/api/v1/users/{user.Id}/{resource}", body);

        Assert.True(reset.Status is HttpStatusCode.NoContent or HttpStatusCode.Created, reset.Body);
        TokenResponse refused = await fixture.Oidc.RefreshAsync(tokens.RefreshToken!);
        Assert.Equal("invalid_grant", refused.Error);
        await RevokeCommands.WaitForAsync(fixture.Admin, server.Id, user.Id);
        await fixture.AssertLoggedSoonAsync(6400, $"CredentialsChanged) delivered:");
    }

    [Fact]
    public async Task FirstPassword_OfANewUser_RevokesNothing()
    {
        (_, ApiResponse server) = await Objects.EnrolledServerAsync(fixture.Admin, fixture.Anonymous);

        TestUser user = await fixture.CreateUserAsync();

        await Task.Delay(AccessEventDeliveryPoll);
        Assert.Empty(await RevokeCommands.ListAsync(fixture.Admin, server.Id, user.Id));
    }
}
