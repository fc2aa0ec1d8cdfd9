using System.Buffers.Binary;
using System.Net;
using OpenTunnel.Platform.Linux.Packets;
using OpenTunnel.Platform.Linux.Tun;
using OpenTunnel.Testing;

namespace OpenTunnel.Platform.Linux.Tests.Tun;

[Trait("Category", "EndToEnd")]
public sealed class TunDeviceTests
{
    [Fact]
    public async Task Read_PingIntoDevice_ReturnsEchoRequest_AndWrittenReplyReachesPing()
    {
        Prerequisites.RequireRootAndCommands("ip", "ping");
        using var topology = NetworkTopology.Create();
        string ns = topology.Client;
        using var tun = NamespaceThread.Run(ns, () =>
        {
            var device = TunDevice.Create(topology.Prefix + "t");
            device.SetIPv4Address(IPAddress.Parse("198.18.200.1"), 24);
            device.SetMtu(1400);
            device.SetUp();
            return device;
        });

        Assert.Contains("mtu 1400", topology.Exec(ns, "ip", "link", "show", tun.Name).EnsureSuccess().StandardOutput, StringComparison.Ordinal);
        using var ping = topology.Start(ns, "ping", ["-c", "1", "-W", "5", "198.18.200.2"]);

        byte[] buffer = new byte[2048];
        int length = await ReadEchoRequestAsync(tun, buffer);
        var packet = buffer.AsSpan(0, length);
        Assert.True(IpPacket.TryReadIpv4(packet, out var header));
        Assert.Equal(0xC612C801u, header.Source); // 198.18.200.1
        Assert.Equal(0xC612C802u, header.Destination); // 198.18.200.2

        MakeEchoReply(packet, header);
        Assert.True(tun.Write(packet));

        Assert.Equal(0, await ping.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("1 received", ping.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void SetIPv6Address_DeviceInNamespace_ShowsTheAddressWithItsPrefix()
    {
        Prerequisites.RequireRootAndCommands("ip");
        using var topology = NetworkTopology.Create();
        using var tun = NamespaceThread.Run(topology.Client, () =>
        {
            var device = TunDevice.Create(topology.Prefix + "t6");
            device.SetIPv6Address(IPAddress.Parse("2001:db8:128::1"), 64);
            device.SetUp();
            return device;
        });

        string shown = topology.Exec(topology.Client, "ip", "-6", "addr", "show", "dev", tun.Name).EnsureSuccess().StandardOutput;

        Assert.Contains("inet6 2001:db8:128::1/64", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NameTooLong_ThrowsWithReason()
    {
        var error = Assert.Throws<TunDeviceException>(() => TunDevice.Create("a-name-far-too-long-for-linux"));
        Assert.Contains("too long", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NameTakenByOtherDevice_ThrowsNamingTheDevice()
    {
        Prerequisites.RequireRootAndCommands("ip");
        using var topology = NetworkTopology.Create();
        // The loopback device exists and is not a TUN device.
        var error = Assert.Throws<InvalidOperationException>(() => NamespaceThread.Run(topology.Client, () => TunDevice.Create("lo")));
        var inner = Assert.IsType<TunDeviceException>(error.InnerException);
        Assert.Contains("'lo'", inner.Message, StringComparison.Ordinal);
    }

    private static async Task<int> ReadEchoRequestAsync(TunDevice tun, byte[] buffer)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            int length = await Task.Run(() => tun.WaitForPacket(200) ? tun.TryRead(buffer) : 0);
            // Skip anything else the kernel sends (for example IPv6 router solicitations).
            if (length > 0 && IpPacket.TryReadIpv4(buffer.AsSpan(0, length), out var header) && header.Protocol == 1 && buffer[header.HeaderLength] == 8)
            {
                return length;
            }
        }

        throw new TimeoutException("No ICMP echo request arrived on the TUN device within 10 s.");
    }

    private static void MakeEchoReply(Span<byte> packet, Ipv4Header header)
    {
        BinaryPrimitives.WriteUInt32BigEndian(packet[12..], header.Destination);
        BinaryPrimitives.WriteUInt32BigEndian(packet[16..], header.Source);
        packet[10] = 0;
        packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], InternetChecksum.Compute(packet[..header.HeaderLength]));

        var icmp = packet[header.HeaderLength..header.TotalLength];
        icmp[0] = 0; // echo reply
        icmp[2] = 0;
        icmp[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp));
    }
}
