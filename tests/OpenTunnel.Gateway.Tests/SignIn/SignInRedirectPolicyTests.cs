using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.SignIn;

namespace OpenTunnel.Gateway.Tests.SignIn;

[Trait("Category", "Unit")]
public sealed class SignInRedirectPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(12, 10, 20, true)] // 20 % more: at the threshold
    [InlineData(11, 10, 20, false)] // 10 % more
    [InlineData(1, 0, 20, true)] // any session against an empty peer
    [InlineData(0, 0, 0, false)] // equal: never, even with threshold 0
    [InlineData(5, 5, 0, false)]
    [InlineData(6, 5, 0, true)]
    [InlineData(200, 100, 100, true)]
    [InlineData(199, 100, 100, false)]
    public void Decide_Load_RedirectsOnlyAtTheThreshold(int own, int peer, int threshold, bool redirects)
    {
        var options = Options(threshold, Peer("198.18.0.3:443", peer));

        var decision = SignInRedirectPolicy.Decide(options, own, draining: false, carriesSessionCookie: false, alreadyRedirected: false, Now);

        Assert.Equal(redirects, decision is not null);
        if (decision is not null)
        {
            Assert.Equal("load", decision.Reason);
            Assert.Equal("198.18.0.3:443", decision.Peer);
        }
    }

    [Fact]
    public void Decide_PicksTheLeastLoadedEligiblePeer_SkippingDrainedUnhealthyAndStale()
    {
        var options = Options(20,
            Peer("198.18.0.3:443", 0, draining: true),
            Peer("198.18.0.4:443", 0, healthy: false),
            Peer("198.18.0.5:443", 0, reportedAt: Now.AddSeconds(-121)),
            Peer("198.18.0.6:443", 0) with { ReportedAt = null },
            Peer("198.18.0.7:443", 4),
            Peer("198.18.0.8:443", 2));

        var decision = SignInRedirectPolicy.Decide(options, 10, false, false, false, Now);

        Assert.Equal("198.18.0.8:443", decision?.Peer);
    }

    [Fact]
    public void Decide_AsManySessions_TheLowerCpuThenTheLowerAddressWins()
    {
        var byCpu = Options(20, Peer("198.18.0.3:443", 2, cpu: 70), Peer("198.18.0.4:443", 2, cpu: 10));
        var byAddress = Options(20, Peer("198.18.0.4:443", 2), Peer("198.18.0.3:443", 2));

        Assert.Equal("198.18.0.4:443", SignInRedirectPolicy.Decide(byCpu, 10, false, false, false, Now)?.Peer);
        Assert.Equal("198.18.0.3:443", SignInRedirectPolicy.Decide(byAddress, 10, false, false, false, Now)?.Peer);
    }

    [Fact]
    public void Decide_PeerReportedJustWithinStaleSeconds_IsATarget()
    {
        var options = Options(20, Peer("198.18.0.3:443", 0, reportedAt: Now.AddSeconds(-120)));

        Assert.NotNull(SignInRedirectPolicy.Decide(options, 10, false, false, false, Now));
    }

    [Fact]
    public void Decide_Draining_RedirectsToAHealthyPeerWhateverTheLoad()
    {
        var options = Options(20, Peer("198.18.0.3:443", 500));

        var decision = SignInRedirectPolicy.Decide(options, 0, draining: true, false, false, Now);

        Assert.Equal("draining", decision?.Reason);
        Assert.Equal("198.18.0.3:443", decision?.Peer);
    }

    [Fact]
    public void Decide_DrainingWithoutAnEligiblePeer_ServesHere()
    {
        var options = Options(20, Peer("198.18.0.3:443", 0, healthy: false), Peer("198.18.0.4:443", 0, draining: true));

        Assert.Null(SignInRedirectPolicy.Decide(options, 100, draining: true, false, false, Now));
    }

    [Fact]
    public void Decide_SessionCookieOrMarker_NeverRedirected()
    {
        var options = Options(20, Peer("198.18.0.3:443", 0));

        Assert.Null(SignInRedirectPolicy.Decide(options, 100, draining: true, carriesSessionCookie: true, alreadyRedirected: false, Now));
        Assert.Null(SignInRedirectPolicy.Decide(options, 100, draining: true, carriesSessionCookie: false, alreadyRedirected: true, Now));
    }

    [Fact]
    public void Decide_ModeOff_NeverRedirects()
    {
        var options = Options(20, Peer("198.18.0.3:443", 0)) with { Mode = LoadBalancingMode.Off };

        Assert.Null(SignInRedirectPolicy.Decide(options, 100, draining: true, false, false, Now));
    }

    [Theory]
    [InlineData("198.18.0.3:443", "/", "https://198.18.0.3:443/?ot-redirected=1")]
    [InlineData("vpn2.example.com:8443", "/group?x=1", "https://vpn2.example.com:8443/group?x=1&ot-redirected=1")]
    [InlineData("[2001:db8::3]:443", "/token", "https://[2001:db8::3]:443/token?ot-redirected=1")]
    public void Location_KeepsTheTargetAndAddsTheMarker(string peer, string target, string expected)
    {
        string location = SignInRedirectPolicy.Location(peer, target);

        Assert.Equal(expected, location);
        Assert.True(SignInRedirectPolicy.IsRedirected(new Uri(location).PathAndQuery));
    }

    [Theory]
    [InlineData("/", false)]
    [InlineData("/?ot-redirected", true)]
    [InlineData("/?a=1&ot-redirected=1", true)]
    [InlineData("/?not-ot-redirected=1", false)]
    [InlineData("/ot-redirected", false)]
    public void IsRedirected_ReadsOnlyTheQueryParameter(string target, bool redirected) =>
        Assert.Equal(redirected, SignInRedirectPolicy.IsRedirected(target));

    private static LoadBalancingOptions Options(int threshold, params PeerOptions[] peers) =>
        new() { Mode = LoadBalancingMode.Redirect, ThresholdPercent = threshold, StaleSeconds = 120, Peers = peers };

    private static PeerOptions Peer(string address, int sessions, bool healthy = true, bool draining = false, double? cpu = null, DateTimeOffset? reportedAt = null) =>
        new() { Address = address, Sessions = sessions, Healthy = healthy, Draining = draining, CpuPercent = cpu, ReportedAt = reportedAt ?? Now.AddSeconds(-5) };
}
