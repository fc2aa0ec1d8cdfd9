using System.Net.Sockets;
using OpenTunnel.Platform.Linux.Net;
using OpenTunnel.Testing;

namespace OpenTunnel.Platform.Linux.Tests.Net;

/// <summary>The kernel buffers of a real UDP socket.</summary>
[Trait("Category", "Integration")]
public sealed class UdpSocketBuffersTests
{
    [Fact]
    public void TrySet_AsRoot_GivesMoreThanTheSystemsLimitForOthers()
    {
        Prerequisites.RequireRootAndCommands();
        int limit = int.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        int asked = Math.Max(4 * 1024 * 1024, limit * 4);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        int before = socket.ReceiveBufferSize;

        Assert.True(UdpSocketBuffers.TrySet(socket, asked));

        Assert.True(socket.ReceiveBufferSize >= asked, $"receive buffer {socket.ReceiveBufferSize}, asked {asked}");
        Assert.True(socket.SendBufferSize >= asked, $"send buffer {socket.SendBufferSize}, asked {asked}");
        Assert.True(socket.ReceiveBufferSize > before);
    }
}
