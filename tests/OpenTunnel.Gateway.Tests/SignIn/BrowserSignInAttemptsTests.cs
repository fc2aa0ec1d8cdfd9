using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.SignIn;

namespace OpenTunnel.Gateway.Tests.SignIn;

[Trait("Category", "Unit")]
public sealed class BrowserSignInAttemptsTests
{
    private static readonly TimeSpan AttemptLifetime = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(60);
    private static readonly TokenValidationOutcome Alice = new(TokenRefusal.None, "alice", "d1", "ok");

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly BrowserSignInAttempts _attempts;
    private readonly ECParameters _clientKey;

    public BrowserSignInAttemptsTests()
    {
        _attempts = new BrowserSignInAttempts(_clock);
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        _clientKey = key.ExportParameters(false);
    }

    [Fact]
    public void Redeem_TheIssuedToken_GivesTheOutcomeOnce_ThenReplayed()
    {
        var attempt = _attempts.Start(_clientKey, AttemptLifetime)!;
        string token = _attempts.Complete(attempt.Id, Alice, TokenLifetime)!;

        Assert.Same(Alice, _attempts.Redeem(attempt.Id, token).Outcome);
        var again = _attempts.Redeem(attempt.Id, token);
        Assert.Null(again.Outcome);
        Assert.Equal(BrowserSignInAttempts.ReplayedToken, again.Check);
    }

    [Fact]
    public void Redeem_AfterTheTokenLifetime_IsExpired()
    {
        var attempt = _attempts.Start(_clientKey, AttemptLifetime)!;
        string token = _attempts.Complete(attempt.Id, Alice, TokenLifetime)!;

        _clock.Advance(TokenLifetime);

        var redeemed = _attempts.Redeem(attempt.Id, token);
        Assert.Equal((null, BrowserSignInAttempts.ExpiredToken), (redeemed.Outcome, redeemed.Check));
        Assert.Contains("BrowserSignIn:TokenSeconds", redeemed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Redeem_AnotherAttemptsToken_IsWrong()
    {
        var first = _attempts.Start(_clientKey, AttemptLifetime)!;
        var second = _attempts.Start(_clientKey, AttemptLifetime)!;
        string firstToken = _attempts.Complete(first.Id, Alice, TokenLifetime)!;
        _attempts.Complete(second.Id, Alice, TokenLifetime);

        Assert.Equal(BrowserSignInAttempts.WrongToken, _attempts.Redeem(second.Id, firstToken).Check);
        Assert.Same(Alice, _attempts.Redeem(first.Id, firstToken).Outcome);
    }

    [Fact]
    public void Redeem_BeforeTheProviderAnswered_IsNotCompleted()
    {
        var attempt = _attempts.Start(_clientKey, AttemptLifetime)!;

        Assert.Equal(BrowserSignInAttempts.NotCompleted, _attempts.Redeem(attempt.Id, "00").Check);
    }

    [Fact]
    public void Redeem_UnknownAttempt_IsUnknown()
    {
        Assert.Equal(BrowserSignInAttempts.UnknownAttempt, _attempts.Redeem("nope", "00").Check);
        Assert.Equal(BrowserSignInAttempts.UnknownAttempt, _attempts.Redeem(null, "00").Check);
    }

    [Fact]
    public void Complete_Twice_GivesNoSecondToken()
    {
        var attempt = _attempts.Start(_clientKey, AttemptLifetime)!;

        Assert.NotNull(_attempts.Complete(attempt.Id, Alice, TokenLifetime));
        Assert.Null(_attempts.Complete(attempt.Id, Alice, TokenLifetime));
        Assert.Null(_attempts.FindOpen(attempt.Id));
    }

    [Fact]
    public void FindOpen_AfterTheAttemptLifetime_IsNull_AndPruneForgetsIt()
    {
        var attempt = _attempts.Start(_clientKey, AttemptLifetime)!;
        Assert.NotNull(_attempts.FindOpen(attempt.Id));

        _clock.Advance(AttemptLifetime);

        Assert.Null(_attempts.FindOpen(attempt.Id));
        Assert.Null(_attempts.Complete(attempt.Id, Alice, TokenLifetime));
        _attempts.Prune(_clock.GetUtcNow());
        Assert.Equal(0, _attempts.Count);
    }

    [Fact]
    public void Start_GivesAnS256ChallengeOfItsVerifier()
    {
        var attempt = _attempts.Start(_clientKey, AttemptLifetime)!;

        Assert.InRange(attempt.CodeVerifier.Length, 43, 128);
        Assert.Equal(System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(attempt.CodeVerifier))), attempt.CodeChallenge);
        Assert.Matches("^[0-9a-f]{32}$", attempt.Id);
    }
}
