using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTunnel.Identity.Credentials;
using OpenTunnel.Identity.Data;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Credentials;

/// <summary>TOTP seeds at rest (encrypted with the key directory's data-protection keys) and one code used once, also by parallel sign-ins.</summary>
[Trait("Category", "Integration")]
public sealed class TotpSignInTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private const string Scope = "openid opentunnel.device";

    [Fact]
    public async Task EnableTotp_StoresTheSeedEncryptedAndTheCodeStillSignsIn()
    {
        TestUser user = await fixture.CreateUserAsync();
        string secret = await EnableTotpAsync(user);

        string stored = await StoredSeedAsync(user);

        Assert.StartsWith(TotpSeeds.Prefix, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        (_, string userCode) = await fixture.Oidc.RequestDeviceCodeAsync(Scope);
        using HttpResponseMessage approved = await fixture.Oidc.ApproveAsync(userCode, user.Name, IdentityFixture.Password, TotpCode.Compute(secret, DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.Redirect, approved.StatusCode);
    }

    [Fact]
    public async Task PlainSeedFromBefore_IsEncryptedAtStartAndStillSignsIn()
    {
        TestUser user = await fixture.CreateUserAsync();
        await EnableTotpAsync(user);
        string plain = TotpCode.NewSecret();
        await using (AsyncServiceScope scope = fixture.App.Services.CreateAsyncScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<IdentityStore>();
            await store.Credentials.Where(c => c.UserId == Guid.Parse(user.Id)).ExecuteUpdateAsync(s => s.SetProperty(c => c.TotpSecret, plain));
        }

        await fixture.App.Services.GetServices<IHostedService>().OfType<TotpSeedProtection>().Single().StartAsync(CancellationToken.None);

        string stored = await StoredSeedAsync(user);
        Assert.StartsWith(TotpSeeds.Prefix, stored, StringComparison.Ordinal);
        (_, string userCode) = await fixture.Oidc.RequestDeviceCodeAsync(Scope);
        using HttpResponseMessage approved = await fixture.Oidc.ApproveAsync(userCode, user.Name, IdentityFixture.Password, TotpCode.Compute(plain, DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.Redirect, approved.StatusCode);
        fixture.AssertLogged(6113, "1 TOTP seed(s) stored in plain text are now encrypted");
    }

    [Fact]
    public async Task OneCode_TenParallelSignIns_ExactlyOneSucceeds()
    {
        TestUser user = await fixture.CreateUserAsync();
        string secret = await EnableTotpAsync(user);
        var userCodes = new List<string>();
        for (int i = 0; i < 10; i++)
        {
            userCodes.Add((await fixture.Oidc.RequestDeviceCodeAsync(Scope)).UserCode);
        }

        string code = TotpCode.Compute(secret, DateTimeOffset.UtcNow);
        HttpResponseMessage[] answers = await Task.WhenAll(userCodes.Select(u => fixture.Oidc.ApproveAsync(u, user.Name, IdentityFixture.Password, code)));

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Redirect));
        Assert.Equal(9, answers.Count(a => a.StatusCode == HttpStatusCode.BadRequest));
        foreach (HttpResponseMessage answer in answers)
        {
            answer.Dispose();
        }
    }

    private async Task<string> EnableTotpAsync(TestUser user)
    {
        ApiResponse totp = await fixture.Admin.SendAsync(HttpMethod.Post, $"/api/v1/users/{user.Id}/totp");
        Assert.Equal(HttpStatusCode.Created, totp.Status);
        return totp.Json.GetProperty("secret").GetString()!;
    }

    private async Task<string> StoredSeedAsync(TestUser user)
    {
        await using AsyncServiceScope scope = fixture.App.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IdentityStore>();
        return (await store.Credentials.AsNoTracking().SingleAsync(c => c.UserId == Guid.Parse(user.Id))).TotpSecret!;
    }
}
