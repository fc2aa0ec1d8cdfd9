using System.Buffers.Binary;
using System.Net;
using OpenTunnel.Platform.Linux.Packets;
using OpenTunnel.Platform.Linux.Tun;
using OpenTunnel.Testing;

namespace OpenTunnel.Platform.Linux.Tests.Tun;

[Trait("Category", "EndToEnd")]
public sealed class TunDeviceTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Read_PingIntoDevice_ReturnsEchoRequest_AndWrittenReplyReachesPing(bool offload)
    {
        Prerequisites.RequireRootAndCommands("ip", "ping");
        using var topology = NetworkTopology.Create();
        string ns = topology.Client;
        using var tun = NamespaceThread.Run(ns, () =>
        {
            var device = TunDevice.Create(topology.Prefix + "t", offload: offload);
            Assert.Equal(offload, device.Offloads);
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
    public async Task Read_WithOffload_TcpBurstTheKernelSendsAsOneLargeSegment_ComesOutAsValidSegmentsOfTheMss()
    {
        Prerequisites.RequireRootAndCommands("ip");
        using var topology = NetworkTopology.Create();
        string ns = topology.Client;
        using var tun = NamespaceThread.Run(ns, () =>
        {
            var device = TunDevice.Create(topology.Prefix + "t", offload: true);
            device.SetIPv4Address(IPAddress.Parse("198.18.201.1"), 24);
            device.SetMtu(1400);
            device.SetUp();
            return device;
        });
        Assert.True(tun.Offloads);

        // A TCP connection from the namespace to a peer behind the device; the test answers its SYN.
        using var socket = NamespaceThread.Run(ns, () => new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp));
        var connecting = socket.ConnectAsync(IPAddress.Parse("198.18.201.2"), 5000);
        byte[] buffer = new byte[1400];
        byte[] syn = (await ReadTcpAsync(tun, buffer, segment => (segment[13] & 0x02) != 0)).ToArray();
        Assert.True(tun.Write(SynAck(syn, mss: 1360)));
        await connecting.WaitAsync(TimeSpan.FromSeconds(10));

        // Sent at once, the initial window of 10 segments leaves as TCP segmentation offload allows: in large pieces.
        byte[] data = Enumerable.Range(0, 10 * 1360).Select(i => (byte)(i * 31)).ToArray();
        Assert.Equal(data.Length, await socket.SendAsync(data));
        uint first = BinaryPrimitives.ReadUInt32BigEndian(syn.AsSpan(24)) + 1;
        var carried = new byte[data.Length];
        int segments = 0;
        int received = 0;
        while (received < data.Length)
        {
            byte[] segment = (await ReadTcpAsync(tun, buffer, s => s.Length > 40)).ToArray();
            segments++;
            Assert.True(segment.Length <= 1400, $"a segment of {segment.Length} bytes");
            Assert.True(InternetChecksum.IsValid(segment.AsSpan(0, 20)), "IPv4 header checksum");
            byte[] pseudo = [.. segment.AsSpan(12, 8), 0, 6, (byte)((segment.Length - 20) >> 8), (byte)(segment.Length - 20)];
            Assert.Equal(0, InternetChecksum.Finish(InternetChecksum.Add(InternetChecksum.Add(0, pseudo), segment.AsSpan(20))));
            int offset = (int)(BinaryPrimitives.ReadUInt32BigEndian(segment.AsSpan(24)) - first);
            segment.AsSpan(40).CopyTo(carried.AsSpan(offset));
            received = Math.Max(received, offset + segment.Length - 40);
        }

        Assert.Equal(data, carried);
        Assert.Equal(0, tun.DroppedReads);

        // The device counted fewer packets than came out: the kernel handed over segments to cut.
        string stats = topology.Exec(ns, "cat", $"/sys/class/net/{tun.Name}/statistics/tx_packets").EnsureSuccess().StandardOutput;
        Assert.True(long.Parse(stats.Trim(), System.Globalization.CultureInfo.InvariantCulture) < 1 + segments, $"tx_packets {stats.Trim()} for {segments} segments");
    }

    // The next TCP packet read from the device that matches, skipping others (router solicitations and the like).
    private static async Task<ReadOnlyMemory<byte>> ReadTcpAsync(TunDevice tun, byte[] buffer, Func<byte[], bool> match)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            int n = tun.TryRead(buffer);
            if (n == 0)
            {
                await Task.Delay(5);
                continue;
            }

            byte[] packet = buffer[..n];
            if (packet[0] >> 4 == 4 && packet[9] == 6 && match(packet))
            {
                return packet;
            }
        }

        throw new TimeoutException("No matching TCP packet came out of the device in 10 s.");
    }

    // The peer's SYN-ACK to a SYN (IPv4, no options but the MSS), with valid checksums.
    private static byte[] SynAck(byte[] syn, ushort mss)
    {
        byte[] packet = new byte[44];
        var p = packet.AsSpan();
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], 44);
        p[8] = 64;
        p[9] = 6;
        syn.AsSpan(16, 4).CopyTo(p[12..]);
        syn.AsSpan(12, 4).CopyTo(p[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(p[10..], InternetChecksum.Compute(p[..20]));
        var tcp = p[20..];
        syn.AsSpan(22, 2).CopyTo(tcp);
        syn.AsSpan(20, 2).CopyTo(tcp[2..]);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 1000);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], BinaryPrimitives.ReadUInt32BigEndian(syn.AsSpan(24)) + 1);
        tcp[12] = 6 << 4;
        tcp[13] = 0x12;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        tcp[20] = 2;
        tcp[21] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[22..], mss);
        byte[] pseudo = [.. p[12..20], 0, 6, 0, 24];
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Finish(InternetChecksum.Add(InternetChecksum.Add(0, pseudo), tcp)));
        return packet;
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
    public void QueueDrops_PacketsBeyondTheQueueLengthWhileNobodyReads_AreCountedFromAnyThread()
    {
        Prerequisites.RequireRootAndCommands("ip");
        using var topology = NetworkTopology.Create();
        string ns = topology.Client;
        using var tun = NamespaceThread.Run(ns, () =>
        {
            var device = TunDevice.Create(topology.Prefix + "q");
            device.SetIPv4Address(IPAddress.Parse("198.18.201.1"), 24);
            device.SetQueueLength(100);
            device.SetUp();
            return device;
        });
        using var sender = NamespaceThread.Run(ns, () => new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp));

        Assert.Contains("qlen 100", topology.Exec(ns, "ip", "link", "show", tun.Name).EnsureSuccess().StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, tun.QueueDrops);
        var target = new IPEndPoint(IPAddress.Parse("198.18.201.2"), 9);
        for (int i = 0; i < 300; i++)
        {
            sender.SendTo(new byte[64], target);
        }

        // Read on this thread, in the root namespace: the count is the device's namespace's, not the reader's.
        // 100 queued, 200 dropped; the kernel's own packets (IPv6 router solicitations) may add a few.
        Assert.InRange(tun.QueueDrops, 200, 220);
        Assert.Contains("dropped", topology.Exec(ns, "ip", "-s", "link", "show", tun.Name).EnsureSuccess().StandardOutput, StringComparison.Ordinal);
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
