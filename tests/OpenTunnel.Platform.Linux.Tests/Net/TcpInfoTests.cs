using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenTunnel.Platform.Linux.Net;

namespace OpenTunnel.Platform.Linux.Tests.Net;

/// <summary>What a real TCP connection over the loopback interface knows about its path.</summary>
[Trait("Category", "Integration")]
public sealed class TcpInfoTests
{
    [Fact]
    public async Task RoundTripMicroseconds_ConnectedSocketThatExchangedData_PositiveAndUnderASecond()
    {
        using var pair = await ConnectedPair.OpenAsync();

        int? rtt = TcpInfo.RoundTripMicroseconds(pair.Client);
        int? least = TcpInfo.LeastRoundTripMicroseconds(pair.Client);

        Assert.NotNull(rtt);
        Assert.InRange(rtt.Value, 1, 1_000_000);
        Assert.NotNull(least);
        Assert.InRange(least.Value, 1, rtt.Value);
    }

    [Fact]
    public async Task PathMtu_ConnectedSocket_IsTheInterfaceMtuNotTheMssPlusHeaders()
    {
        using var pair = await ConnectedPair.OpenAsync();
        int loopbackMtu = int.Parse(File.ReadAllText("/sys/class/net/lo/mtu").Trim(), CultureInfo.InvariantCulture);

        // An IPv4 packet has at most 65,535 bytes, below the loopback's usual 65,536. The MSS plus 40
        // would be 12 bytes short: it leaves out the timestamps option every segment carries.
        Assert.Equal(Math.Min(loopbackMtu, ushort.MaxValue), TcpInfo.PathMtu(pair.Client));
    }

    [Fact]
    public void AllReadings_ClosedSocket_Null()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Dispose();

        Assert.Null(TcpInfo.PathMtu(socket));
        Assert.Null(TcpInfo.RoundTripMicroseconds(socket));
        Assert.Null(TcpInfo.LeastRoundTripMicroseconds(socket));
    }

    private sealed class ConnectedPair : IDisposable
    {
        private readonly Socket _listener;
        private readonly Socket _server;

        private ConnectedPair(Socket listener, Socket client, Socket server)
        {
            _listener = listener;
            Client = client;
            _server = server;
        }

        public Socket Client { get; }

        public static async Task<ConnectedPair> OpenAsync()
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listener.LocalEndPoint!);
            var server = await listener.AcceptAsync();
            byte[] buffer = new byte[4];
            for (int i = 0; i < 3; i++)
            {
                await client.SendAsync(buffer);
                await server.ReceiveAsync(buffer);
            }

            return new ConnectedPair(listener, client, server);
        }

        public void Dispose()
        {
            Client.Dispose();
            _server.Dispose();
            _listener.Dispose();
        }
    }
}
