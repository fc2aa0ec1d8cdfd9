using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using OpenTunnel.Gateway.Contracts.Control;

namespace OpenTunnel.Gateway.Contracts.Tests.Control;

/// <summary>The client over a real Unix socket, with a one-answer server standing in for the gateway.</summary>
[Trait("Category", "Unit")]
public sealed class ControlClientTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ot-control-").FullName;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

    private string SocketPath => Path.Combine(_directory, "control.sock");

    public void Dispose()
    {
        _timeout.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task SendAsync_Answered_ReturnsTheResultAndSentOneRequestLine()
    {
        var (served, request) = await ServeOnceAsync("""{"ok":true,"result":{"sessions":2}}""", ControlRequest.RevokeTarget("alice", DateTimeOffset.UnixEpoch));

        Assert.Equal(2, served!["sessions"]!.GetValue<int>());
        JsonObject sent = JsonNode.Parse(request)!.AsObject();
        Assert.Equal(["command", "target", "at"], sent.Select(p => p.Key));
        Assert.Equal("revoke", sent["command"]!.GetValue<string>());
        Assert.Equal("1970-01-01T00:00:00.0000000+00:00", sent["at"]!.GetValue<string>());
    }

    [Fact]
    public async Task SendAsync_Refused_ThrowsRefusedWithTheGatewaysReason()
    {
        var e = await Assert.ThrowsAsync<ControlRefusedException>(() => ServeOnceAsync("""{"ok":false,"error":"Network:IPv4Pool needs a restart"}""", ControlRequest.Command(ControlRequest.Status)));

        Assert.Equal("Network:IPv4Pool needs a restart", e.Message);
    }

    [Fact]
    public async Task SendAsync_NoGateway_ThrowsUnavailableNamingTheSocket()
    {
        var e = await Assert.ThrowsAsync<ControlUnavailableException>(() => ControlClient.SendAsync(SocketPath, ControlRequest.Command(ControlRequest.Status), _timeout.Token));

        Assert.Contains(SocketPath, e.Message, StringComparison.Ordinal);
    }

    private async Task<(JsonNode? Result, string Request)> ServeOnceAsync(string answer, JsonObject request)
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        listener.Listen(1);
        CancellationToken cancellationToken = _timeout.Token;
        Task<string> serving = Task.Run(
            async () =>
            {
                using Socket peer = await listener.AcceptAsync(cancellationToken);
                await using var stream = new NetworkStream(peer);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                string line = await reader.ReadLineAsync(cancellationToken) ?? string.Empty;
                await stream.WriteAsync(Encoding.UTF8.GetBytes(answer + "\n"), cancellationToken);
                return line;
            },
            cancellationToken);

        JsonNode? result = await ControlClient.SendAsync(SocketPath, request, cancellationToken);
        return (result, await serving);
    }
}
