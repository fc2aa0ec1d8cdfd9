using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace OpenTunnel.Gateway.Contracts.Control;

/// <summary>
/// Sends one request to a running gateway's control socket and returns its answer. Used by the
/// CLI verbs and by the management agent, which tells a gateway that is down
/// (<see cref="ControlUnavailableException"/>: try again later) from one that refused the request
/// (<see cref="ControlRefusedException"/>: the message is the gateway's reason).
/// </summary>
public static class ControlClient
{
    /// <summary>The <c>result</c> of a successful request.</summary>
    /// <exception cref="ControlUnavailableException">The socket cannot be reached, or no answer came.</exception>
    /// <exception cref="ControlRefusedException">The gateway answered with an error.</exception>
    public static async Task<JsonNode?> SendAsync(string socketPath, JsonObject request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        }
        catch (SocketException e)
        {
            throw new ControlUnavailableException($"Cannot reach the gateway's control socket {socketPath}: {e.Message}. Is the gateway running, and are you root?", e);
        }

        string? line;
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"), cancellationToken);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            line = await reader.ReadLineAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            throw new ControlUnavailableException($"The gateway's control connection {socketPath} failed: {e.Message}", e);
        }

        JsonObject answer;
        try
        {
            answer = JsonNode.Parse(line ?? throw new ControlUnavailableException("The gateway closed the control connection without an answer.")) as JsonObject
                ?? throw new ControlUnavailableException("The gateway's answer is not a JSON object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ControlUnavailableException($"The gateway's answer is not JSON: {e.Message}", e);
        }

        if (answer["ok"]?.GetValue<bool>() != true)
        {
            throw new ControlRefusedException(answer["error"]?.GetValue<string>() ?? "The gateway refused the request.");
        }

        return answer["result"];
    }
}

/// <summary>The gateway's control socket could not be used: the gateway is down or restarting.</summary>
public sealed class ControlUnavailableException : InvalidOperationException
{
    public ControlUnavailableException()
    {
    }

    public ControlUnavailableException(string message)
        : base(message)
    {
    }

    public ControlUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The gateway answered and refused the request; the message is its reason.</summary>
public sealed class ControlRefusedException : InvalidOperationException
{
    public ControlRefusedException()
    {
    }

    public ControlRefusedException(string message)
        : base(message)
    {
    }

    public ControlRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
