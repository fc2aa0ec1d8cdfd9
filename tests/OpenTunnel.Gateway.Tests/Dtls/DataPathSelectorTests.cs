using System.Net;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Gateway.Tests.Dtls;

[Trait("Category", "Unit")]
public sealed class DataPathSelectorTests
{
    [Fact]
    public void Preferred_BeforeAnyHandshake_IsTls()
    {
        var selector = new DataPathSelector();

        Assert.Null(selector.Preferred);
        Assert.False(selector.TlsDataArrived());
    }

    [Fact]
    public void DtlsEstablished_PrefersDtls()
    {
        var selector = new DataPathSelector();
        var channel = new StubChannel();

        Assert.True(selector.DtlsEstablished(channel));
        Assert.Same(channel, selector.Preferred);
    }

    [Fact]
    public void TlsDataArrived_WhileOnDtls_SwitchesToTlsOnce()
    {
        var selector = new DataPathSelector();
        selector.DtlsEstablished(new StubChannel());

        Assert.True(selector.TlsDataArrived());
        Assert.Null(selector.Preferred);
        Assert.False(selector.TlsDataArrived());
    }

    [Fact]
    public void DtlsDataArrived_AfterClientMovedToTls_SwitchesBack()
    {
        var selector = new DataPathSelector();
        var channel = new StubChannel();
        selector.DtlsEstablished(channel);
        selector.TlsDataArrived();

        Assert.True(selector.DtlsDataArrived());
        Assert.Same(channel, selector.Preferred);
        Assert.False(selector.DtlsDataArrived());
    }

    [Fact]
    public void DtlsEstablished_AfterClientMovedToTls_PrefersTheNewChannel()
    {
        var selector = new DataPathSelector();
        selector.DtlsEstablished(new StubChannel());
        selector.TlsDataArrived();
        var second = new StubChannel();

        selector.DtlsEstablished(second);

        Assert.Same(second, selector.Preferred);
    }

    [Fact]
    public void DtlsClosed_CurrentChannel_FallsBackToTls()
    {
        var selector = new DataPathSelector();
        var channel = new StubChannel();
        selector.DtlsEstablished(channel);

        Assert.True(selector.DtlsClosed(channel));
        Assert.Null(selector.Preferred);
        Assert.Null(selector.Channel);
    }

    [Fact]
    public void DtlsClosed_ReplacedChannel_ChangesNothing()
    {
        var selector = new DataPathSelector();
        var old = new StubChannel();
        var current = new StubChannel();
        selector.DtlsEstablished(old);
        selector.DtlsEstablished(current);

        Assert.False(selector.DtlsClosed(old));
        Assert.Same(current, selector.Preferred);
    }

    [Fact]
    public void Preferred_ChannelNoLongerOpen_IsTls()
    {
        var selector = new DataPathSelector();
        var channel = new StubChannel();
        selector.DtlsEstablished(channel);

        channel.Close();

        Assert.Null(selector.Preferred);
    }

    /// <summary>A channel that only knows whether it is open: the selector looks at nothing else.</summary>
    private sealed class StubChannel : IDtlsChannel
    {
        public EndPoint RemoteEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 1);

        public DtlsCipherSuite CipherSuite => DtlsCipherSuite.All[0];

        public bool IsOpen { get; private set; } = true;

        public long LastReceivedTicks => 0;

        public DtlsChannelCounters Counters { get; } = new();

        public bool TrySendData(ReadOnlySpan<byte> ipPacket) => IsOpen;

        public bool TrySend(CstpPacketType type, ReadOnlySpan<byte> payload) => IsOpen;

        public void Close() => IsOpen = false;
    }
}
