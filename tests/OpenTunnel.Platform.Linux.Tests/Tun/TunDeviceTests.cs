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
        using var link = await TcpThroughDevice.ConnectAsync(topology, 201);
        var (tun, socket, syn) = (link.Tun, link.Socket, link.Syn);
        byte[] buffer = new byte[1400];

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
        string stats = topology.Exec(topology.Client, "cat", $"/sys/class/net/{tun.Name}/statistics/tx_packets").EnsureSuccess().StandardOutput;
        Assert.True(long.Parse(stats.Trim(), System.Globalization.CultureInfo.InvariantCulture) < 1 + segments, $"tx_packets {stats.Trim()} for {segments} segments");
    }

    [Fact]
    public async Task Write_WithOffload_JoinedSegmentsFromThePeer_ReachTheSocketInOneWrite()
    {
        Prerequisites.RequireRootAndCommands("ip");
        using var topology = NetworkTopology.Create();
        using var link = await TcpThroughDevice.ConnectAsync(topology, 202);
        var (tun, socket, syn) = (link.Tun, link.Socket, link.Syn);

        // Four segments of the peer's data, as a client sends them through its tunnel, joined into one write.
        byte[] data = Enumerable.Range(0, 3 * 1360 + 500).Select(i => (byte)(i * 17)).ToArray();
        var coalescer = new TcpCoalescer();
        for (int i = 0, offset = 0; offset < data.Length; i++, offset += 1360)
        {
            byte[] segment = PeerSegment(syn, data.AsSpan(offset, Math.Min(1360, data.Length - offset)), sequence: 1001 + (uint)offset, identification: (ushort)(100 + i));
            Assert.True(i == 0 ? coalescer.TryStart(segment) : coalescer.TryAppend(segment), $"segment {i} joins");
        }

        long before = RxPackets(topology, tun);
        var joined = coalescer.Finish(out var header);
        Assert.Equal(VirtioNetHeader.GsoTcpV4, header.GsoType);
        Assert.True(tun.Write(header, joined));
        coalescer.Clear();

        Assert.Equal(data, await ReceiveAsync(socket, data.Length));
        Assert.Equal(1, RxPackets(topology, tun) - before);
    }

    [Fact]
    public async Task CoalescingPacketWriter_SegmentsOfOneFlow_AreHeldUntilFlush_ThenReachTheSocketInOneWrite()
    {
        Prerequisites.RequireRootAndCommands("ip");
        using var topology = NetworkTopology.Create();
        using var link = await TcpThroughDevice.ConnectAsync(topology, 203);
        var (tun, socket, syn) = (link.Tun, link.Socket, link.Syn);
        var writer = new CoalescingPacketWriter(tun);
        byte[] data = Enumerable.Range(0, 3 * 1360 + 500).Select(i => (byte)(i * 31)).ToArray();
        long before = RxPackets(topology, tun);

        for (int i = 0, offset = 0; offset < data.Length; i++, offset += 1360)
        {
            writer.Write(PeerSegment(syn, data.AsSpan(offset, Math.Min(1360, data.Length - offset)), sequence: 1001 + (uint)offset, identification: (ushort)(100 + i)));
        }

        // The last segment is shorter: it ends the run, which stays held until the flush.
        Assert.Equal(0, RxPackets(topology, tun) - before);
        writer.Flush();

        Assert.Equal(data, await ReceiveAsync(socket, data.Length));
        Assert.Equal(1, RxPackets(topology, tun) - before);
        Assert.Equal(0, writer.Dropped);
    }

    // Reads exactly `length` bytes from the socket (10 s at most).
    private static async Task<byte[]> ReceiveAsync(System.Net.Sockets.Socket socket, int length)
    {
        byte[] received = new byte[length];
        int total = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (total < length)
        {
            total += await socket.ReceiveAsync(received.AsMemory(total), timeout.Token);
        }

        return received;
    }

    // A data segment from the peer of the SYN (the SYN-ACK's side), with valid checksums.
    private static byte[] PeerSegment(byte[] syn, ReadOnlySpan<byte> payload, uint sequence, ushort identification)
    {
        byte[] packet = new byte[40 + payload.Length];
        var p = packet.AsSpan();
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(p[4..], identification);
        p[6] = 0x40; // DF
        p[8] = 64;
        p[9] = 6;
        syn.AsSpan(16, 4).CopyTo(p[12..]);
        syn.AsSpan(12, 4).CopyTo(p[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(p[10..], InternetChecksum.Compute(p[..20]));
        var tcp = p[20..];
        syn.AsSpan(22, 2).CopyTo(tcp);
        syn.AsSpan(20, 2).CopyTo(tcp[2..]);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], BinaryPrimitives.ReadUInt32BigEndian(syn.AsSpan(24)) + 1);
        tcp[12] = 5 << 4;
        tcp[13] = 0x10;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        payload.CopyTo(tcp[20..]);
        byte[] pseudo = [.. p[12..20], 0, 6, (byte)(tcp.Length >> 8), (byte)tcp.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Finish(InternetChecksum.Add(InternetChecksum.Add(0, pseudo), tcp)));
        return packet;
    }

    private static long RxPackets(NetworkTopology topology, TunDevice tun) =>
        long.Parse(topology.Exec(topology.Client, "cat", $"/sys/class/net/{tun.Name}/statistics/rx_packets").EnsureSuccess().StandardOutput.Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// A TUN device with offloads in the topology's client namespace (198.18.NET.1/24) and a TCP
    /// connection from that namespace to 198.18.NET.2:5000 behind it, whose SYN the test answered
    /// (the peer's sequence numbers start at 1001, its MSS is 1360).
    /// </summary>
    private sealed class TcpThroughDevice : IDisposable
    {
        private TcpThroughDevice(TunDevice tun, System.Net.Sockets.Socket socket, byte[] syn)
        {
            Tun = tun;
            Socket = socket;
            Syn = syn;
        }

        public TunDevice Tun { get; }

        public System.Net.Sockets.Socket Socket { get; }

        /// <summary>The namespace's SYN, as read from the device.</summary>
        public byte[] Syn { get; }

        public static async Task<TcpThroughDevice> ConnectAsync(NetworkTopology topology, int net)
        {
            var tun = NamespaceThread.Run(topology.Client, () =>
            {
                var device = TunDevice.Create(topology.Prefix + "t", offload: true);
                device.SetIPv4Address(IPAddress.Parse($"198.18.{net}.1"), 24);
                device.SetMtu(1400);
                device.SetUp();
                return device;
            });
            Assert.True(tun.Offloads);
            var socket = NamespaceThread.Run(topology.Client, () => new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp));
            var connecting = socket.ConnectAsync(IPAddress.Parse($"198.18.{net}.2"), 5000);
            byte[] syn = (await ReadTcpAsync(tun, new byte[1400], segment => (segment[13] & 0x02) != 0)).ToArray();
            Assert.True(tun.Write(SynAck(syn, mss: 1360)));
            await connecting.WaitAsync(TimeSpan.FromSeconds(10));
            return new TcpThroughDevice(tun, socket, syn);
        }

        public void Dispose()
        {
            Socket.Dispose();
            Tun.Dispose();
        }
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
    public void SuspendWakeups_PacketQueuedMeanwhile_WakesNoWaiter_ButIsRead_AndTheLastResumeWakesForWhatIsLeft()
    {
        Prerequisites.RequireRootAndCommands("ip");
        using var topology = NetworkTopology.Create();
        string ns = topology.Client;
        using var tun = NamespaceThread.Run(ns, () =>
        {
            var device = TunDevice.Create(topology.Prefix + "w");
            device.SetIPv4Address(IPAddress.Parse("198.18.202.1"), 24);
            device.SetUp();
            return device;
        });
        using var sender = NamespaceThread.Run(ns, () => new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp));
        var target = new IPEndPoint(IPAddress.Parse("198.18.202.2"), 9);
        byte[] buffer = new byte[2048];
        while (tun.TryRead(buffer) > 0)
        {
            // The kernel's own first packets (IPv6 router solicitations): not this test's.
        }

        tun.SuspendWakeups();
        tun.SuspendWakeups();
        sender.SendTo(new byte[] { 1 }, target);

        Assert.False(tun.WaitForPacket(300), "A packet woke the waiter while wake-ups were suspended.");
        Assert.True(ReadsDatagram(tun, buffer, 1), "The packet queued while wake-ups were suspended was not there to read.");

        sender.SendTo(new byte[] { 2 }, target);
        tun.ResumeWakeups();
        Assert.False(tun.WaitForPacket(300), "One resume of two ended the suspension.");
        tun.ResumeWakeups();
        Assert.True(tun.WaitForPacket(0), "The last resume did not show the packet left in the device.");
        Assert.True(ReadsDatagram(tun, buffer, 2));
        Assert.Throws<InvalidOperationException>(tun.ResumeWakeups);
    }

    // Reads packets until the UDP datagram whose one payload byte is mark (skipping the kernel's own); false when none is queued.
    private static bool ReadsDatagram(TunDevice tun, byte[] buffer, byte mark)
    {
        int length;
        while ((length = tun.TryRead(buffer)) > 0)
        {
            if (IpPacket.TryReadIpv4(buffer.AsSpan(0, length), out var header) && header.Protocol == 17 && buffer[length - 1] == mark)
            {
                return true;
            }
        }

        return false;
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
