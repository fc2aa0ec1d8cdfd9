using System.Net;
using System.Net.Sockets;
using OpenTunnel.Platform.Linux.Net;

namespace OpenTunnel.Platform.Linux.Tests.Net;

/// <summary>The round trips of a real TCP connection over the loopback interface.</summary>
[Trait("Category", "Integration")]
public sealed class TcpRoundTripTests
{
    [Fact]
    public async Task Microseconds_ConnectedSocketThatExchangedData_PositiveAndUnderASecond()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        using var server = await listener.AcceptAsync();
        byte[] buffer = new byte[4];
        for (int i = 0; i < 3; i++)
        {
            await client.SendAsync(buffer);
            await server.ReceiveAsync(buffer);
        }

        int? rtt = TcpRoundTrip.Microseconds(client);
        int? least = TcpRoundTrip.LeastMicroseconds(client);

        Assert.NotNull(rtt);
        Assert.InRange(rtt.Value, 1, 1_000_000);
        Assert.NotNull(least);
        Assert.InRange(least.Value, 1, rtt.Value);
    }

    [Fact]
    public void Microseconds_ClosedSocket_Null()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Dispose();

        Assert.Null(TcpRoundTrip.Microseconds(socket));
        Assert.Null(TcpRoundTrip.LeastMicroseconds(socket));
    }
}
