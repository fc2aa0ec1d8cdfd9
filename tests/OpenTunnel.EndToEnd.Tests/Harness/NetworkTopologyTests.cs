using System.Net;
using System.Net.Sockets;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Harness;

[Trait("Category", "EndToEnd")]
public sealed class NetworkTopologyTests
{
    [Fact]
    public void Client_WithDirectRouting_PingsCorpThroughGateway()
    {
        Prerequisites.RequireRootAndCommands("ip", "ping");
        using var topology = NetworkTopology.Create();
        topology.EnableDirectRouting();

        var ping = topology.Exec(topology.Client, "ping", "-c", "1", "-W", "3", NetworkTopology.CorpAddress);

        Assert.True(ping.Succeeded, ping.StandardOutput + ping.StandardError);
        // One hop through the gateway namespace: TTL 64 from the corp host arrives as 63.
        Assert.Contains("ttl=63", ping.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Client_WithoutDirectRouting_GetsNoAnswerFromCorp()
    {
        Prerequisites.RequireRootAndCommands("ip", "ping");
        using var topology = NetworkTopology.Create();

        var ping = topology.Exec(topology.Client, "ping", "-c", "1", "-W", "1", NetworkTopology.CorpAddress);

        Assert.False(ping.Succeeded, "The corp host must have no route back to the client unless a tunnel or direct routing gives it one.");
    }

    [Fact]
    public async Task Client_WithDirectRouting_OpensTcpConnectionToCorp()
    {
        Prerequisites.RequireRootAndCommands("ip");
        using var topology = NetworkTopology.Create();
        topology.EnableDirectRouting();

        using var listener = NamespaceThread.Run(topology.Corp, () =>
        {
            var l = new TcpListener(IPAddress.Parse(NetworkTopology.CorpAddress), 0);
            l.Start();
            return l;
        });
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accept = listener.AcceptTcpClientAsync();

        using var client = NamespaceThread.Run(topology.Client, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        await client.ConnectAsync(IPAddress.Parse(NetworkTopology.CorpAddress), port).WaitAsync(TimeSpan.FromSeconds(5));
        using var server = await accept.WaitAsync(TimeSpan.FromSeconds(5));
        await client.SendAsync("hello"u8.ToArray());
        byte[] received = new byte[5];
        await server.GetStream().ReadExactlyAsync(received).AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal("hello"u8.ToArray(), received);
        Assert.Equal(IPAddress.Parse(NetworkTopology.ClientAddress), ((IPEndPoint)server.Client.RemoteEndPoint!).Address);
    }

    [Fact]
    public void Dispose_AfterTestBodyThrew_RemovesEveryNamespaceAndProcess()
    {
        Prerequisites.RequireRootAndCommands("ip");
        string prefix = string.Empty;
        TrackedProcess? sleeper = null;
        Action body = () =>
        {
            using var topology = NetworkTopology.Create(withInternet: true);
            prefix = topology.Prefix;
            sleeper = topology.Start(topology.Gateway, "sleep", ["300"]);
            Assert.Equal(4, NetworkTopology.ListNamespaces(prefix).Count);
            throw new InvalidOperationException("the test body failed");
        };
        Assert.Throws<InvalidOperationException>(body);

        Assert.Empty(NetworkTopology.ListNamespaces(prefix));
        Assert.NotNull(sleeper);
        Assert.True(sleeper.HasExited);
        Assert.False(Directory.Exists("/proc/" + sleeper.Id) && File.ReadAllText($"/proc/{sleeper.Id}/cmdline").Contains("sleep", StringComparison.Ordinal));
        // The veth ends lived inside the namespaces: none is left in the root namespace.
        Assert.DoesNotContain(prefix, Command.Run("ip", "-o", "link", "show").StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithInternet_ClientReachesInternetWithoutTunnel()
    {
        Prerequisites.RequireRootAndCommands("ip", "ping");
        using var topology = NetworkTopology.Create(withInternet: true);

        var ping = topology.Exec(topology.Client, "ping", "-c", "1", "-W", "3", NetworkTopology.InternetAddress);

        Assert.True(ping.Succeeded, ping.StandardOutput + ping.StandardError);
    }
}
