using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Platform.Linux.Packets;
using OpenTunnel.Protocol.Tunnel;

using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Sessions;

[Trait("Category", "Unit")]
public sealed class SessionSupervisorTests
{
    private static readonly ConnectRequest Request = ConnectRequest.FromHead(
        Protocol.Http.HttpRequestParser.TryParse("CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nCookie: webvpn=c\r\n\r\n"u8, out var head, out _, out _) == Protocol.Http.HttpParseStatus.Complete ? head! : throw new InvalidOperationException());

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly SessionTable _sessions = new();
    private readonly IPv4AddressPool _pool = new(System.Net.IPNetwork.Parse("198.18.128.0/30"));
    private readonly RecordingDataPlane _dataPlane = new();
    private readonly SessionSupervisor _supervisor;

    public SessionSupervisorTests()
    {
        _supervisor = new SessionSupervisor(_sessions, _pool, null, _dataPlane, new PacketCounters(), _time, NullLogger.Instance);
    }

    [Fact]
    public void TryAttach_FirstConnect_LeasesAnAddressRegistersItAndMakesTlsThePath()
    {
        var session = NewSession();
        var connection = NewConnection(session);

        Assert.True(_supervisor.TryAttach(session, connection, Request, out bool reconnect));

        Assert.False(reconnect);
        Assert.NotEqual(0u, session.IPv4Address);
        Assert.Contains(session, _dataPlane.Registered);
        Assert.Same(connection.Sink, session.DataPath.Sink);
        Assert.Same(Request, session.ConnectRequest);
    }

    [Fact]
    public void TryAttach_SecondConnectOfTheSameSession_KeepsTheAddressAndReplacesTheLink()
    {
        var session = NewSession();
        _supervisor.TryAttach(session, NewConnection(session), Request, out _);
        uint address = session.IPv4Address;
        var second = NewConnection(session);

        Assert.True(_supervisor.TryAttach(session, second, Request, out bool reconnect));

        Assert.True(reconnect);
        Assert.Equal(address, session.IPv4Address);
        Assert.Same(second, session.Connection);
    }

    [Fact]
    public void TryAttach_PoolExhausted_RefusedWithoutAPath()
    {
        while (_pool.TryLease(out _))
        {
        }

        var session = NewSession();

        Assert.False(_supervisor.TryAttach(session, NewConnection(session), Request, out _));
        Assert.Null(session.DataPath.Sink);
    }

    [Fact]
    public async Task ConnectionEndedAsync_LinkDropped_SessionWaitsWithItsAddress()
    {
        var session = NewSession();
        var connection = NewConnection(session);
        _supervisor.TryAttach(session, connection, Request, out _);

        await _supervisor.ConnectionEndedAsync(session, connection, "link failed", cookieTimeoutSeconds: 300);

        Assert.Null(session.Connection);
        Assert.Null(session.DataPath.Sink);
        Assert.Equal(_time.GetUtcNow(), session.DataPath.DetachedSince);
        Assert.Same(session, _sessions.Find(session.Cookie));
        Assert.Equal(1, _pool.LeasedCount);
    }

    [Fact]
    public async Task EndAsync_ReleasesTheAddressUnregistersAndRefusesTheCookie()
    {
        var session = NewSession();
        _supervisor.TryAttach(session, NewConnection(session), Request, out _);

        await _supervisor.EndAsync(session, "terminated", notify: null);

        Assert.Equal(0, _pool.LeasedCount);
        Assert.Contains(session, _dataPlane.Unregistered);
        Assert.Null(_sessions.Find(session.Cookie));
        Assert.True(session.Ended);
        Assert.False(_supervisor.TryAttach(session, NewConnection(session), Request, out _));
    }

    [Fact]
    public async Task SweepAsync_CookieExpiredWhileAway_EndsTheSession()
    {
        var session = NewSession();
        var connection = NewConnection(session);
        _supervisor.TryAttach(session, connection, Request, out _);
        await _supervisor.ConnectionEndedAsync(session, connection, "link failed", cookieTimeoutSeconds: 300);

        _time.Advance(TimeSpan.FromSeconds(299));
        await _supervisor.SweepAsync(new TimeoutOptions { CookieTimeoutSeconds = 300 }, unmanagedAccess: false);
        Assert.False(session.Ended);

        _time.Advance(TimeSpan.FromSeconds(2));
        await _supervisor.SweepAsync(new TimeoutOptions { CookieTimeoutSeconds = 300 }, unmanagedAccess: false);
        Assert.True(session.Ended);
        Assert.Equal(0, _pool.LeasedCount);
    }

    [Fact]
    public async Task SweepAsync_WithoutUnmanagedAccess_EndsTheSessionsOfUnmanagedDevicesOnly()
    {
        var managed = NewSession();
        var unmanaged = _sessions.TryCreate("uma", null, System.Net.IPEndPoint.Parse("198.18.1.2:40001"), _time.GetUtcNow(), maxSessions: 100, maxPerUser: 0, out _, unmanaged: true)!;
        _supervisor.TryAttach(managed, NewConnection(managed), Request, out _);
        _supervisor.TryAttach(unmanaged, NewConnection(unmanaged), Request, out _);

        await _supervisor.SweepAsync(new TimeoutOptions(), unmanagedAccess: true);
        Assert.False(unmanaged.Ended);

        await _supervisor.SweepAsync(new TimeoutOptions(), unmanagedAccess: false);
        Assert.True(unmanaged.Ended);
        Assert.False(managed.Ended);
        Assert.Equal(SessionSupervisor.UnmanagedAccessWithdrawn, Assert.Single(_supervisor.EndedSessions.Read(null, 0, 10)).Reason);
    }

    [Fact]
    public async Task SweepAsync_WallClockStepsAnHourForward_NeitherTheDeadPeerCheckNorTheIdleTimeoutFires()
    {
        var clock = new SteppedWallClock(_time);
        var supervisor = new SessionSupervisor(_sessions, _pool, null, _dataPlane, new PacketCounters(), clock, NullLogger.Instance);
        var session = NewSession();
        var connection = supervisor.NewConnection(session, new RecordingStream(), new ConnectionReader(Stream.Null), System.Net.IPEndPoint.Parse("198.18.1.2:40000"), maxQueuedPackets: 16, roundTrip: null);
        supervisor.TryAttach(session, connection, Request, out _);
        var timeouts = new TimeoutOptions { DpdSeconds = 30, IdleTimeoutSeconds = 1200, CookieTimeoutSeconds = 300 };

        _time.Advance(TimeSpan.FromSeconds(10));
        clock.Step = TimeSpan.FromHours(1);
        await supervisor.SweepAsync(timeouts, unmanagedAccess: false);

        Assert.Null(connection.CloseReason);
        Assert.False(session.Ended);
    }

    [Fact]
    public async Task SweepAsync_WallClockStepsAnHourBack_ASilentPeerIsStillClosedAfterTwiceTheDpd()
    {
        var clock = new SteppedWallClock(_time);
        var supervisor = new SessionSupervisor(_sessions, _pool, null, _dataPlane, new PacketCounters(), clock, NullLogger.Instance);
        var session = NewSession();
        var connection = supervisor.NewConnection(session, new RecordingStream(), new ConnectionReader(Stream.Null), System.Net.IPEndPoint.Parse("198.18.1.2:40000"), maxQueuedPackets: 16, roundTrip: null);
        supervisor.TryAttach(session, connection, Request, out _);
        var timeouts = new TimeoutOptions { DpdSeconds = 30, IdleTimeoutSeconds = 0, CookieTimeoutSeconds = 300 };

        clock.Step = -TimeSpan.FromHours(1);
        _time.Advance(TimeSpan.FromSeconds(64));
        await supervisor.SweepAsync(timeouts, unmanagedAccess: false);
        Assert.Null(connection.CloseReason);

        _time.Advance(TimeSpan.FromSeconds(2));
        await supervisor.SweepAsync(timeouts, unmanagedAccess: false);
        Assert.StartsWith("dead peer: nothing received for 66 s", connection.CloseReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TerminateAsync_SignedInAfterTheRevocation_Spared()
    {
        var early = NewSession("alice");
        _time.Advance(TimeSpan.FromMinutes(1));
        var late = NewSession("alice");

        int ended = await _supervisor.TerminateAsync("alice", signedInBefore: late.SignedInAt);

        Assert.Equal(1, ended);
        Assert.True(early.Ended);
        Assert.False(late.Ended);
    }

    [Fact]
    public void Restore_SavedSessionWithAnAddress_LeasesThatAddressAgain()
    {
        var saved = new SavedSession(new string('a', 64), 4, "alice", null, null, System.Net.IPEndPoint.Parse("198.18.1.2:40000"), _time.GetUtcNow(), 0xC6128002, Ipv6Number.Zero);

        var session = _supervisor.Restore(saved, out string? refusal);

        Assert.True(session is not null, refusal);
        Assert.Equal(0xC6128002u, session.IPv4Address);
        Assert.Equal(1, _pool.LeasedCount);
        Assert.True(_supervisor.TryAttach(session, NewConnection(session), Request, out bool reconnect));
        Assert.True(reconnect);
        Assert.Equal(0xC6128002u, session.IPv4Address);
    }

    [Fact]
    public void Restore_AddressTakenOrOutsideThePool_IsRefusedAndLeasesNothing()
    {
        var taken = NewSession();
        _supervisor.TryAttach(taken, NewConnection(taken), Request, out _);
        var saved = new SavedSession(new string('a', 64), 9, "bob", null, null, System.Net.IPEndPoint.Parse("198.18.1.2:40000"), _time.GetUtcNow(), taken.IPv4Address, Ipv6Number.Zero);

        Assert.Null(_supervisor.Restore(saved, out string? refusal));
        Assert.Contains("is not free in the pool 198.18.128.0/30", refusal, StringComparison.Ordinal);
        Assert.Null(_supervisor.Restore(saved with { IPv4Address = 0xC6120102 }, out refusal));
        Assert.Contains("198.18.1.2 is not free", refusal, StringComparison.Ordinal);
        Assert.Equal(1, _pool.LeasedCount);
        Assert.Equal(1, _sessions.Count);
    }

    private GatewaySession NewSession(string user = "alice")
    {
        var session = _sessions.TryCreate(user, null, System.Net.IPEndPoint.Parse("198.18.1.2:40000"), _time.GetUtcNow(), maxSessions: 100, maxPerUser: 0, out string? refusal);
        Assert.True(session is not null, refusal);
        return session;
    }

    private CstpConnection NewConnection(GatewaySession session) =>
        _supervisor.NewConnection(session, new RecordingStream(), new ConnectionReader(Stream.Null), System.Net.IPEndPoint.Parse("198.18.1.2:40000"), maxQueuedPackets: 16, roundTrip: null);

    private sealed class RecordingDataPlane : IDataPlane
    {
        public List<GatewaySession> Registered { get; } = [];

        public List<GatewaySession> Unregistered { get; } = [];

        public void Register(GatewaySession session) => Registered.Add(session);

        public void Unregister(GatewaySession session) => Unregistered.Add(session);

        public void FromClient(GatewaySession session, Transport transport, Span<byte> packet, TcpWindowLimit? tcpWindowLimit = null)
        {
        }

        public void DrainNow()
        {
        }

        public int AttachDeviceReader() => -1;

        public DeviceRead ReadDevice() => DeviceRead.Drained;

        public void DetachDeviceReader()
        {
        }
    }
}
