using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Tunnel;
using OpenTunnel.Platform.Linux.Packets;
using OpenTunnel.Platform.Linux.Tun;

namespace OpenTunnel.Gateway.DataPlane;

/// <summary>
/// Moves packets between the sessions and the gateway's one TUN device. From a client: the
/// source must be the session's leased address, else the packet is dropped and counted (a client
/// cannot speak for another address); traffic to another client's address is dropped unless
/// allowed. From the TUN device: a dedicated thread reads each packet into a pooled buffer and
/// hands it to the session that owns the destination address (a lookup by address), without
/// waiting on that client. Nothing on these paths allocates per packet.
/// </summary>
public sealed class TunDataPlane : IDisposable
{
    private readonly ConcurrentDictionary<uint, GatewaySession> _routes = new();
    private readonly TunDevice _tun;
    private readonly IPv4AddressPool _pool;
    private readonly PacketCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _mtu;
    private Thread? _reader;
    private volatile bool _stopping;

    public TunDataPlane(TunDevice tun, int mtu, IPv4AddressPool pool, PacketCounters counters, TimeProvider time, ILogger logger)
    {
        _tun = tun;
        _mtu = mtu;
        _pool = pool;
        _counters = counters;
        _time = time;
        _logger = logger;
    }

    /// <summary>Let clients reach each other's addresses (Network:AllowClientToClient); may change on reload.</summary>
    public bool AllowClientToClient { get; set; }

    /// <summary>Routes packets for the session's leased address to it.</summary>
    public void Register(GatewaySession session) => _routes[session.IPv4Address] = session;

    /// <summary>Stops routing to the session (only if the address is still its own).</summary>
    public void Unregister(GatewaySession session) =>
        _routes.TryRemove(new KeyValuePair<uint, GatewaySession>(session.IPv4Address, session));

    public void Start()
    {
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "TUN reader " + _tun.Name };
        _reader.Start();
    }

    /// <summary>
    /// Takes one IP packet a client sent through its tunnel and writes it to the TUN device,
    /// unless it is malformed, its source is not the session's address, or it is for another
    /// client while that is not allowed.
    /// </summary>
    public void FromClient(GatewaySession session, ReadOnlySpan<byte> packet)
    {
        if (!IpPacket.TryReadIpv4(packet, out var header))
        {
            _counters.CountDrop(IpPacket.Version(packet) == 6 ? DropReason.NotIPv4 : DropReason.Malformed);
            return;
        }

        if (header.Source != session.IPv4Address)
        {
            _counters.CountDrop(DropReason.SpoofedSource);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                GatewayLog.SpoofedPacket(_logger, session.Id, IPv4AddressPool.ToAddress(header.Source), IPv4AddressPool.ToAddress(session.IPv4Address));
            }

            return;
        }

        if (!AllowClientToClient && header.Destination != _pool.GatewayAddress && _pool.Contains(header.Destination))
        {
            _counters.CountDrop(DropReason.ClientToClient);
            return;
        }

        var whole = packet[..header.TotalLength];
        if (!_tun.Write(whole))
        {
            _counters.CountDrop(DropReason.TunWriteFailed);
            return;
        }

        session.CountFromClient(whole.Length, _time.GetUtcNow().UtcTicks);
        _counters.CountFromClient(whole.Length);
    }

    public void Dispose()
    {
        _stopping = true;
        _reader?.Join(TimeSpan.FromSeconds(2));
    }

    private void ReadLoop()
    {
        byte[] buffer = OutboundPacket.RentBuffer(_mtu);
        try
        {
            while (!_stopping)
            {
                int n = _tun.Read(buffer.AsSpan(OutboundPacket.Headroom, _mtu), 250);
                if (n == 0)
                {
                    continue;
                }

                var packet = buffer.AsSpan(OutboundPacket.Headroom, n);
                if (!IpPacket.TryReadIpv4(packet, out var header))
                {
                    // IPv6 router solicitations of the TUN device itself and the like: the pool is IPv4 only.
                    _counters.CountDrop(IpPacket.Version(packet) == 6 ? DropReason.NotIPv4 : DropReason.Malformed);
                    continue;
                }

                if (!_routes.TryGetValue(header.Destination, out var session) || session.DataChannel is not { } channel)
                {
                    _counters.CountDrop(DropReason.NoSession);
                    continue;
                }

                // The channel owns the buffer from here on, sent or dropped.
                if (!channel.TrySend(new OutboundPacket(buffer, n)))
                {
                    _counters.CountDrop(DropReason.QueueFull);
                }

                buffer = OutboundPacket.RentBuffer(_mtu);
            }
        }
        catch (Exception e) when (e is TunDeviceException or ObjectDisposedException)
        {
            if (!_stopping)
            {
                GatewayLog.TunReadFailed(_logger, e.Message);
            }
        }
        finally
        {
            new OutboundPacket(buffer, 0).Return();
        }
    }
}
