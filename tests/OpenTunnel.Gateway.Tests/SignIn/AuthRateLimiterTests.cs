using System.Net;
using OpenTunnel.Gateway.SignIn;

namespace OpenTunnel.Gateway.Tests.SignIn;

[Trait("Category", "Unit")]
public sealed class AuthRateLimiterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("198.18.1.2");

    [Fact]
    public void TryAcquire_OverTheLimit_RefusesUntilTheMinuteIsOver()
    {
        var time = new ManualTime();
        var limiter = new AuthRateLimiter(time);

        Assert.True(limiter.TryAcquire(Client, 2));
        Assert.True(limiter.TryAcquire(Client, 2));
        Assert.False(limiter.TryAcquire(Client, 2));
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.True(limiter.TryAcquire(Client, 2));
    }

    [Fact]
    public void TryAcquire_OtherAddress_HasItsOwnBudget()
    {
        var limiter = new AuthRateLimiter(new ManualTime());
        limiter.TryAcquire(Client, 1);

        Assert.False(limiter.TryAcquire(Client, 1));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("198.18.1.3"), 1));
    }

    [Fact]
    public void TryAcquire_ZeroLimit_NeverRefuses()
    {
        var limiter = new AuthRateLimiter(new ManualTime());

        for (int i = 0; i < 1000; i++)
        {
            Assert.True(limiter.TryAcquire(Client, 0));
        }
    }

    /// <summary>A clock the test moves by hand.</summary>
    internal sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
