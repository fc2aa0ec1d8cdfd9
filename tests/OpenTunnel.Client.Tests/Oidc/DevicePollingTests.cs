using OpenTunnel.Client.Oidc;

namespace OpenTunnel.Client.Tests.Oidc;

[Trait("Category", "Unit")]
public sealed class DevicePollingTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    [Fact]
    public void Next_Tokens_Done()
    {
        Assert.True(DevicePolling.Next(new TokenAnswer("at", "rt", "openid", null, null), Interval).Done);
    }

    [Fact]
    public void Next_AuthorizationPending_WaitsTheSameInterval()
    {
        PollStep step = DevicePolling.Next(Error("authorization_pending"), Interval);

        Assert.Equal((false, Interval, (string?)null), (step.Done, step.Wait, step.Failure));
    }

    [Fact]
    public void Next_SlowDown_WaitsFiveSecondsLonger()
    {
        PollStep step = DevicePolling.Next(Error("slow_down"), TimeSpan.FromSeconds(10));

        Assert.Equal(TimeSpan.FromSeconds(15), step.Wait);
        Assert.Null(step.Failure);
    }

    [Fact]
    public void Next_ExpiredToken_FailsSayingSignInAgain()
    {
        Assert.Equal(DevicePolling.Expired, DevicePolling.Next(Error("expired_token"), Interval).Failure);
    }

    [Fact]
    public void Next_AccessDenied_FailsWithTheProvidersDescription()
    {
        PollStep step = DevicePolling.Next(Error("access_denied", "Policy 'baseline': a firewall is required and it is off."), Interval);

        Assert.Equal("The sign-in was refused: Policy 'baseline': a firewall is required and it is off.", step.Failure);
    }

    [Fact]
    public void Next_OtherError_FailsNamingErrorAndDescription()
    {
        PollStep step = DevicePolling.Next(Error("invalid_grant", "The specified device code is no longer valid."), Interval);

        Assert.Contains("invalid_grant: The specified device code is no longer valid.", step.Failure, StringComparison.Ordinal);
    }

    private static TokenAnswer Error(string error, string? description = null) => new(null, null, null, error, description);
}
