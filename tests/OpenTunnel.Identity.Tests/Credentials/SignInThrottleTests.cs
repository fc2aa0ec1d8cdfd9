using Microsoft.Extensions.Time.Testing;
using OpenTunnel.Identity.Credentials;
using OpenTunnel.Identity.Settings;

namespace OpenTunnel.Identity.Tests.Credentials;

[Trait("Category", "Unit")]
public sealed class SignInThrottleTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task TryReserve_HundredInParallel_OnlyTheLimitMayGoAhead()
    {
        var throttle = new SignInThrottle(new IdentityProviderOptions { MaximumFailedSignInsPerUser = 5 }, _clock);
        using var start = new ManualResetEventSlim();
        Task<TimeSpan?>[] attempts = Enumerable.Range(0, 100)
            .Select(_ => Task.Run(() => { start.Wait(); return throttle.TryReserve("alice", "198.18.1.2"); }))
            .ToArray();

        start.Set();
        TimeSpan?[] answers = await Task.WhenAll(attempts);

        Assert.Equal(5, answers.Count(a => a is null));
    }

    [Fact]
    public void RecordSuccess_GivesTheAddressItsSlotBack()
    {
        var throttle = new SignInThrottle(new IdentityProviderOptions { MaximumFailedSignInsPerAddress = 2 }, _clock);

        Assert.Null(throttle.TryReserve("alice", "198.18.1.2"));
        throttle.RecordSuccess("alice", "198.18.1.2");
        Assert.Null(throttle.TryReserve("bob", "198.18.1.2"));
        Assert.Null(throttle.TryReserve("carol", "198.18.1.2"));

        Assert.NotNull(throttle.TryReserve("dave", "198.18.1.2"));
    }

    [Fact]
    public void TryReserve_AfterTheWindow_MayGoAheadAgain()
    {
        var options = new IdentityProviderOptions { MaximumFailedSignInsPerUser = 1, SignInLockout = TimeSpan.FromMinutes(15) };
        var throttle = new SignInThrottle(options, _clock);
        Assert.Null(throttle.TryReserve("alice", "198.18.1.2"));
        Assert.Equal(TimeSpan.FromMinutes(15), throttle.TryReserve("alice", "198.18.1.3"));

        _clock.Advance(TimeSpan.FromMinutes(15));

        Assert.Null(throttle.TryReserve("alice", "198.18.1.3"));
    }
}
