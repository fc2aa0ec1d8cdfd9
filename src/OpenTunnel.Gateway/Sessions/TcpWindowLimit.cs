using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// How large a receive window the TCP flows of a session may advertise while its client is on one
/// transport (<see cref="OpenTunnel.Platform.Linux.Packets.TcpWindowClamp"/>, Network:TlsWindowClamp
/// and Network:DtlsWindowClamp): <see cref="BandwidthDelayMultiple"/> times what the transport
/// carries in one round trip (the rate its client took data at lately, times a round trip of the
/// session's TLS connection: its smoothed one for TLS, its least one for DTLS, which shares its
/// path but not its load), and never less than <see cref="FloorBytes"/>, which leaves room for
/// the leg between the gateway and a flow's peer.
/// The rate is the session's bytes to the client over <see cref="Transport"/> in the last
/// <see cref="RefreshInterval"/>: what the client took, since a client that reads slowly holds
/// back the rest (over TLS) or loses it (over DTLS). Between readings the window falls by half at
/// most, so a pause does not shut it. Used on one thread only: the TLS connection's read task, or
/// the DTLS receive loop.
/// </summary>
public sealed class TcpWindowLimit : IWindowLimit
{
    /// <summary>The least window allowed: 256 KiB carry 400 Mbit/s over a 5 ms round trip.</summary>
    public const int FloorBytes = 256 * 1024;

    /// <summary>Windows of this many times what the tunnel carries in a round trip leave a flow room to grow.</summary>
    public const int BandwidthDelayMultiple = 4;

    /// <summary>How often the rate and the round trip are read again.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The largest window TCP can advertise (65,535 at scale 14).</summary>
    private const int MaxWindowBytes = ushort.MaxValue << 14;

    private readonly Func<int?> _roundTripMicroseconds;
    private readonly SessionTraffic _traffic;
    private readonly TimeProvider _time;
    private long _readAt;
    private long _bytesAtRead;
    private int _bytes = FloorBytes;

    public TcpWindowLimit(Transport transport, Func<int?> roundTripMicroseconds, SessionTraffic traffic, TimeProvider time)
    {
        Transport = transport;
        _roundTripMicroseconds = roundTripMicroseconds;
        _traffic = traffic;
        _time = time;
        _readAt = time.GetTimestamp();
        _bytesAtRead = traffic.Over(transport).BytesToClient;
    }

    /// <summary>The transport whose packets the limit is for, and whose rate it follows.</summary>
    public Transport Transport { get; }

    /// <summary>The window in bytes, from readings at most <see cref="RefreshInterval"/> old.</summary>
    public int Bytes
    {
        get
        {
            long now = _time.GetTimestamp();
            var elapsed = _time.GetElapsedTime(_readAt, now);
            if (elapsed >= RefreshInterval)
            {
                long sent = _traffic.Over(Transport).BytesToClient;
                long bytesPerSecond = (long)((sent - _bytesAtRead) / elapsed.TotalSeconds);
                _bytes = Next(_bytes, bytesPerSecond, _roundTripMicroseconds());
                _readAt = now;
                _bytesAtRead = sent;
            }

            return _bytes;
        }
    }

    /// <summary>
    /// The window after <paramref name="current"/> for a rate and a round trip (null: unknown, the
    /// floor): <see cref="BandwidthDelayMultiple"/> times their product, falling by half at most.
    /// </summary>
    public static int Next(int current, long bytesPerSecond, int? roundTripMicroseconds)
    {
        // In floating point: a rate times a round trip may not fit in 64 bits.
        double wanted = roundTripMicroseconds is { } rtt ? (double)BandwidthDelayMultiple * bytesPerSecond * rtt / 1_000_000 : 0;
        return (int)Math.Clamp(Math.Max(wanted, current / 2), FloorBytes, MaxWindowBytes);
    }
}
