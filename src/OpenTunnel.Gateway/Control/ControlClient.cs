using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace OpenTunnel.Gateway.Control;

/// <summary>Sends one request to a running gateway's control socket and returns its answer.</summary>
public static class ControlClient
{
    /// <summary>
    /// The <c>result</c> of a successful request. Throws <see cref="InvalidOperationException"/>
    /// with the gateway's error, or with what to check when the socket cannot be reached.
    /// </summary>
    public static async Task<JsonNode?> SendAsync(string socketPath, JsonObject request, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException($"Cannot reach the gateway's control socket {socketPath}: {e.Message}. Is the gateway running, and are you root?", e);
        }

        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"), cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string line = await reader.ReadLineAsync(cancellationToken) ?? throw new InvalidOperationException("The gateway closed the control connection without an answer.");
        var answer = JsonNode.Parse(line) as JsonObject ?? throw new InvalidOperationException("The gateway's answer is not a JSON object.");
        if (answer["ok"]?.GetValue<bool>() != true)
        {
            throw new InvalidOperationException(answer["error"]?.GetValue<string>() ?? "The gateway refused the request.");
        }

        return answer["result"];
    }
}
