using System.Net;
using OpenTunnel.Identity.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Credentials;

/// <summary>The sign-in lockout under a burst of parallel guesses, over real HTTP on the verification page.</summary>
[Trait("Category", "Integration")]
public sealed class UserSignInTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    [Fact]
    public async Task HundredParallelWrongPasswords_AtMostTheLimitAreChecked()
    {
        TestUser user = await fixture.CreateUserAsync();
        (_, string userCode) = await fixture.Oidc.RequestDeviceCodeAsync("openid opentunnel.device");

        HttpResponseMessage[] answers = await Task.WhenAll(Enumerable.Range(0, 100)
            .Select(i => fixture.Oidc.ApproveAsync(userCode, user.Name, $"wrong password {i}")));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode));
        foreach (HttpResponseMessage answer in answers)
        {
            answer.Dispose();
        }

        int checkedGuesses = fixture.Logs.GetSnapshot().Count(r => r.Id.Id == 6101 && r.Message.Contains($"Sign-in of {user.Name} from", StringComparison.Ordinal));
        int throttled = fixture.Logs.GetSnapshot().Count(r => r.Id.Id == 6102 && r.Message.Contains($"Sign-in of {user.Name} from", StringComparison.Ordinal));
        Assert.True(checkedGuesses <= 5, $"{checkedGuesses} of 100 parallel guesses were checked; the limit is 5.");
        Assert.Equal(100, checkedGuesses + throttled);
    }
}
