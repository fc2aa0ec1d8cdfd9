using OpenTunnel.Gateway.Dtls;

namespace OpenTunnel.Gateway.Tests.Dtls;

[Trait("Category", "Unit")]
public sealed class DtlsOptionsTests
{
    [Fact]
    public void Validate_Defaults_AreValid()
    {
        Assert.Empty(new DtlsOptions().Validate());
    }

    [Fact]
    public void Validate_EveryBadValue_NamesItsSetting()
    {
        var options = new DtlsOptions
        {
            HandshakeTimeoutSeconds = 0,
            MaxConcurrentHandshakes = 0,
            SocketBufferBytes = 1024,
            DeadPeerTimeoutSeconds = 1,
            RebindTrialsPerSecond = -1,
            AdvertisedPort = 65536,
        };

        var errors = options.Validate();

        Assert.Equal(6, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Udp:HandshakeTimeoutSeconds", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Udp:MaxConcurrentHandshakes", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Udp:SocketBufferBytes", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Udp:DeadPeerTimeoutSeconds", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Udp:RebindTrialsPerSecond", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Udp:AdvertisedPort", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, 443, 443)]
    [InlineData(4431, 443, 4431)]
    public void ClientPort_IsTheAdvertisedPort_OrTheListeningOne(int advertised, int listening, int expected)
    {
        Assert.Equal(expected, new DtlsOptions { AdvertisedPort = advertised }.ClientPort(listening));
    }

    [Theory]
    [InlineData(0, 30, 90)]
    [InlineData(0, 90, 270)]
    [InlineData(20, 90, 20)]
    public void DeadPeerTimeout_ZeroSetting_IsThreeDpdIntervals(int setting, int dpd, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), new DtlsOptions { DeadPeerTimeoutSeconds = setting }.DeadPeerTimeout(dpd));
    }
}
