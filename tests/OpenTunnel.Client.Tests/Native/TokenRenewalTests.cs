using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenTunnel.Client.Native;

namespace OpenTunnel.Client.Tests.Native;

/// <summary>The gateway token's renewal on a fake clock; the renewal itself (the refresh-token grant) is a delegate here.</summary>
[Trait("Category", "Unit")]
public sealed class TokenRenewalTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void RenewAt_TenMinuteToken_TwoMinutesBeforeExpiry_AndAnHourLongOne_FiveMinutesBefore()
    {
        Assert.Equal(Start.AddMinutes(8), TokenRenewal.RenewAt(Token(Start, TimeSpan.FromMinutes(10))));
        Assert.Equal(Start.AddMinutes(55), TokenRenewal.RenewAt(Token(Start, TimeSpan.FromHours(1))));
        Assert.Null(TokenRenewal.RenewAt("not-a-jwt"));
    }

    [Fact]
    public async Task Run_TokenNearExpiry_IsRenewedBeforeItExpires_AndTheNewOneBecomesCurrent()
    {
        var time = new FakeTimeProvider(Start);
        string first = Token(Start, TimeSpan.FromMinutes(10));
        var issued = new List<string>();
        var progress = new StringWriter();
        var renewal = new TokenRenewal(first, _ =>
        {
            string next = Token(time.GetUtcNow(), TimeSpan.FromMinutes(10));
            issued.Add(next);
            return Task.FromResult(next);
        }, TextWriter.Synchronized(progress), time);
        using var stop = new CancellationTokenSource();
        Task running = renewal.RunAsync(stop.Token);

        time.Advance(TimeSpan.FromMinutes(7));
        await Task.Delay(100);
        Assert.Empty(issued);
        Assert.Equal(first, renewal.Current);

        time.Advance(TimeSpan.FromMinutes(1));
        await WaitUntilAsync(() => issued.Count == 1);
        Assert.Equal(issued[0], renewal.Current);
        await WaitUntilAsync(() => progress.ToString().Contains("The gateway token was renewed (valid until 2026-12-01 08:18:00Z).", StringComparison.Ordinal));

        // The new token is renewed in its turn, 8 minutes after it was issued.
        time.Advance(TimeSpan.FromMinutes(8));
        await WaitUntilAsync(() => issued.Count == 2);
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Run_RenewalRefused_SaysWhy_KeepsTheToken_AndTriesAgainAfterTheRetryInterval()
    {
        var time = new FakeTimeProvider(Start);
        string first = Token(Start, TimeSpan.FromMinutes(10));
        int attempts = 0;
        var progress = new StringWriter();
        var renewal = new TokenRenewal(first, _ => ++attempts == 1
            ? throw new InvalidOperationException("the provider is unreachable")
            : Task.FromResult(Token(time.GetUtcNow(), TimeSpan.FromMinutes(10))), TextWriter.Synchronized(progress), time);
        using var stop = new CancellationTokenSource();
        Task running = renewal.RunAsync(stop.Token);

        time.Advance(TimeSpan.FromMinutes(8));
        await WaitUntilAsync(() => attempts == 1);
        await WaitUntilAsync(() => progress.ToString().Contains("could not be renewed (the provider is unreachable); trying again in 30 s", StringComparison.Ordinal));
        Assert.Equal(first, renewal.Current);

        time.Advance(TokenRenewal.RetryInterval);
        await WaitUntilAsync(() => attempts == 2);
        await WaitUntilAsync(() => renewal.Current != first);
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static string Token(DateTimeOffset issued, TimeSpan lifetime) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            IssuedAt = issued.UtcDateTime,
            NotBefore = issued.UtcDateTime,
            Expires = (issued + lifetime).UtcDateTime,
            Claims = new Dictionary<string, object> { ["sub"] = "alice" },
        });

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 30 s.");
            await Task.Delay(20);
        }
    }
}
