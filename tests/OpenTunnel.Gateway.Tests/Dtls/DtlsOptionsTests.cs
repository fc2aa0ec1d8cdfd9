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
            HandshakeTimeout = TimeSpan.Zero,
            MaxConcurrentHandshakes = 0,
            SocketBufferBytes = 1024,
            DeadPeerTimeout = TimeSpan.FromSeconds(1),
            RebindTrialsPerSecond = -1,
        };

        var errors = options.Validate();

        Assert.Equal(5, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Udp:HandshakeTimeout", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Udp:MaxConcurrentHandshakes", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Udp:SocketBufferBytes", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Udp:DeadPeerTimeout", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Udp:RebindTrialsPerSecond", StringComparison.Ordinal));
    }
}
