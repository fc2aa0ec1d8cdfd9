using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Tests.Dtls;
using OpenTunnel.Gateway.Tests.Traffic;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Tests.Sessions;

[Trait("Category", "Unit")]
public sealed class SessionDataPathTests
{
    private readonly SessionDataPath _path = new();

    [Fact]
    public void Sink_BeforeAnyConnection_IsNone()
    {
        Assert.Null(_path.Sink);
        Assert.False(_path.TlsDataArrived());
    }

    [Fact]
    public void AttachTls_WithoutDtls_SinkIsTheConnection()
    {
        var connection = NewConnection();

        Assert.Null(_path.AttachTls(connection));

        Assert.Same(connection.Sink, _path.Sink);
        Assert.Same(connection, _path.Connection);
        Assert.Equal(connection.Since, _path.ConnectedSince);
    }

    [Fact]
    public void DtlsEstablished_WhileTlsAttached_SinkIsDtls()
    {
        _path.AttachTls(NewConnection());
        var dtls = new RecordingSink();

        Assert.True(_path.DtlsEstablished(new StubDtlsChannel(), dtls));

        Assert.Same(dtls, _path.Sink);
    }

    [Fact]
    public void DtlsEstablished_WhileClientAway_NoSinkUntilTlsAttaches()
    {
        var dtls = new RecordingSink();
        _path.DtlsEstablished(new StubDtlsChannel(), dtls);

        Assert.Null(_path.Sink);

        _path.AttachTls(NewConnection());
        Assert.Same(dtls, _path.Sink);
    }

    [Fact]
    public void TlsDataArrived_WhileOnDtls_SwitchesToTlsOnce()
    {
        var connection = NewConnection();
        _path.AttachTls(connection);
        _path.DtlsEstablished(new StubDtlsChannel(), new RecordingSink());

        Assert.True(_path.TlsDataArrived());
        Assert.Same(connection.Sink, _path.Sink);
        Assert.False(_path.TlsDataArrived());
    }

    [Fact]
    public void DtlsDataArrived_AfterClientMovedToTls_SwitchesBack()
    {
        _path.AttachTls(NewConnection());
        var dtls = new RecordingSink();
        _path.DtlsEstablished(new StubDtlsChannel(), dtls);
        _path.TlsDataArrived();

        Assert.True(_path.DtlsDataArrived());
        Assert.Same(dtls, _path.Sink);
        Assert.False(_path.DtlsDataArrived());
    }

    [Fact]
    public void DtlsEstablished_AfterClientMovedToTls_TakesTheNewChannel()
    {
        _path.AttachTls(NewConnection());
        _path.DtlsEstablished(new StubDtlsChannel(), new RecordingSink());
        _path.TlsDataArrived();
        var second = new RecordingSink();

        _path.DtlsEstablished(new StubDtlsChannel(), second);

        Assert.Same(second, _path.Sink);
    }

    [Fact]
    public void DtlsClosed_CurrentChannel_FallsBackToTls()
    {
        var connection = NewConnection();
        _path.AttachTls(connection);
        var channel = new StubDtlsChannel();
        _path.DtlsEstablished(channel, new RecordingSink());

        Assert.True(_path.DtlsClosed(channel));

        Assert.Same(connection.Sink, _path.Sink);
        Assert.Null(_path.DtlsChannel);
    }

    [Fact]
    public void DtlsClosed_ReplacedChannel_ChangesNothing()
    {
        _path.AttachTls(NewConnection());
        var old = new StubDtlsChannel();
        var current = new RecordingSink();
        _path.DtlsEstablished(old, new RecordingSink());
        _path.DtlsEstablished(new StubDtlsChannel(), current);

        Assert.False(_path.DtlsClosed(old));
        Assert.Same(current, _path.Sink);
    }

    [Fact]
    public void DtlsEstablished_ChannelAlreadyClosed_StaysOnTls()
    {
        var connection = NewConnection();
        _path.AttachTls(connection);
        var channel = new StubDtlsChannel();
        channel.Close();

        _path.DtlsEstablished(channel, new RecordingSink());

        Assert.Same(connection.Sink, _path.Sink);
    }

    [Fact]
    public void DetachTls_TheCurrentLink_NoSinkAndTheDtlsChannelGoesWithIt()
    {
        var connection = NewConnection();
        _path.AttachTls(connection);
        var channel = new StubDtlsChannel();
        _path.DtlsEstablished(channel, new RecordingSink());
        var now = DateTimeOffset.UtcNow;

        Assert.True(_path.DetachTls(connection, now, out var toClose));

        Assert.Same(channel, toClose);
        Assert.Null(_path.Sink);
        Assert.Null(_path.Connection);
        Assert.Null(_path.ConnectedSince);
        Assert.Equal(now, _path.DetachedSince);
    }

    [Fact]
    public void DetachTls_LinkAlreadyReplaced_ChangesNothing()
    {
        var old = NewConnection();
        var current = NewConnection();
        _path.AttachTls(old);
        _path.AttachTls(current);

        Assert.False(_path.DetachTls(old, DateTimeOffset.UtcNow, out var toClose));

        Assert.Null(toClose);
        Assert.Same(current.Sink, _path.Sink);
    }

    [Fact]
    public void AttachTls_Reconnect_ReturnsTheOldLinkAndKeepsDtls()
    {
        var old = NewConnection();
        _path.AttachTls(old);
        var dtls = new RecordingSink();
        _path.DtlsEstablished(new StubDtlsChannel(), dtls);

        Assert.Same(old, _path.AttachTls(NewConnection()));

        Assert.Same(dtls, _path.Sink);
        Assert.Null(_path.DetachedSince);
    }

    [Fact]
    public void End_GivesBackTheLinkAndTheChannel_AndLeavesNoSink()
    {
        var connection = NewConnection();
        _path.AttachTls(connection);
        var channel = new StubDtlsChannel();
        _path.DtlsEstablished(channel, new RecordingSink());

        Assert.Same(connection, _path.End(out var toClose));

        Assert.Same(channel, toClose);
        Assert.Null(_path.Sink);
        Assert.False(_path.DtlsDataArrived());
    }

    [Fact]
    public async Task Sink_ConcurrentSwitchesAndReconnects_AlwaysEndsOnThePathTheLastEventChose()
    {
        // Threads that move the client between TLS and DTLS race one that replaces the TLS link:
        // whatever the interleaving, the sink never points at a replaced link and settles where the
        // state says it should.
        var dtls = new RecordingSink();
        _path.AttachTls(NewConnection());
        _path.DtlsEstablished(new StubDtlsChannel(), dtls);
        var connections = Enumerable.Range(0, 200).Select(_ => NewConnection()).ToArray();
        using var start = new ManualResetEventSlim();
        var switching = Task.Run(() =>
        {
            start.Wait();
            for (int i = 0; i < 20_000; i++)
            {
                _path.TlsDataArrived();
                _path.DtlsDataArrived();
            }
        });
        var reconnecting = Task.Run(() =>
        {
            start.Wait();
            foreach (var connection in connections)
            {
                _path.AttachTls(connection);
                var sink = _path.Sink;
                Assert.True(ReferenceEquals(sink, dtls) || ReferenceEquals(sink, connection.Sink), "the sink points at a link that was replaced");
            }
        });
        start.Set();
        await Task.WhenAll(switching, reconnecting);

        _path.DtlsDataArrived();
        Assert.Same(dtls, _path.Sink);
        Assert.True(_path.TlsDataArrived());
        Assert.Same(connections[^1].Sink, _path.Sink);
    }

    private static CstpConnection NewConnection() => TestSessions.NewConnection(new SessionTraffic());
}
