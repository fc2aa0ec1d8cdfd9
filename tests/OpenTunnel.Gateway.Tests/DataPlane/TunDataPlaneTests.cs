using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.DataPlane;
using OpenTunnel.Gateway.Tests.Sessions;
using OpenTunnel.Gateway.Tests.Traffic;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Platform.Linux.Packets;
using OpenTunnel.Platform.Linux.Tun;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.DataPlane;

/// <summary>A real TUN device in a namespace; ping puts packets for a client address into it.</summary>
[Trait("Category", "EndToEnd")]
public sealed class TunDataPlaneTests
{
    [Fact]
    public async Task DrainNow_PacketQueuedOnTheDevice_GoesToItsSessionOnTheCallersThread()
    {
        Prerequisites.RequireRootAndCommands("ip", "ping");
        using var topology = NetworkTopology.Create();
        using TunDevice tun = NamespaceThread.Run(topology.Client, () =>
        {
            var device = TunDevice.Create(topology.Prefix + "t");
            device.SetIPv4Address(IPAddress.Parse("198.18.128.1"), 24);
            device.SetUp();
            return device;
        });
        var pool = new IPv4AddressPool(IPNetwork.Parse("198.18.128.0/24"));
        using var plane = new TunDataPlane(tun, 1400, pool, null, new PacketCounters(), TimeProvider.System, NullLogger.Instance);
        Assert.True(pool.TryLease(out uint address));
        var session = TestSessions.New();
        session.IPv4Address = address;
        var channel = new RecordingSink();
        TestSessions.RouteTo(session, channel);
        plane.Register(session);

        using var ping = topology.Start(topology.Client, "ping", ["-c", "1", "-W", "5", IPv4AddressPool.ToAddress(address).ToString()]);
        DateTime deadline = DateTime.UtcNow.AddSeconds(5);
        while (channel.Packets.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            plane.DrainNow();
        }

        Assert.True(channel.Packets.TryDequeue(out var sent), "DrainNow handed no packet to the session.");
        Assert.True(IpPacket.TryReadIpv4(sent.Packet, out var header));
        Assert.Equal(address, header.Destination);
        Assert.Equal(Environment.CurrentManagedThreadId, sent.ThreadId);
    }
}
