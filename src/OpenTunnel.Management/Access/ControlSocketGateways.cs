using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Identity.Hosting;

namespace OpenTunnel.Management.Access;

/// <summary>
/// Interim delivery of access withdrawals to gateways on this machine: <c>terminate</c> on each
/// control socket of <c>Identity:GatewayControlSockets</c> (one JSON request line, one JSON answer
/// line, as the gateway's Control/ControlServer speaks; the gateway ends the sessions of that user
/// or device and revokes their cookies). The agent channel (issue #7) replaces it; until then this
/// small client stands beside the gateway's own ControlClient so that the management service does
/// not link the gateway executable.
/// </summary>
internal sealed class ControlSocketGateways(IdentityProviderOptions options) : IGatewaySessions
{
    /// <summary>How the gateway's control API answers a terminate that matches nothing (ControlCommands).</summary>
    private const string NoSession = "no session matches";

    public async Task<int> TerminateAsync(string target, CancellationToken cancellationToken)
    {
        int ended = 0;
        foreach (string path in options.GatewayControlSockets)
        {
            JsonObject answer = await SendAsync(path, new JsonObject { ["command"] = "terminate", ["target"] = target }, cancellationToken);
            if (answer["ok"]?.GetValue<bool>() == true)
            {
                ended += answer["result"]?["sessions"]?.GetValue<int>() ?? 0;
            }
            else if (answer["error"]?.GetValue<string>() is not { } error || !error.StartsWith(NoSession, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Gateway control socket {path} refused terminate {target}: {answer["error"]}");
            }
        }

        return ended;
    }

    private static async Task<JsonObject> SendAsync(string path, JsonObject request, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"), cancellationToken);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            string line = await reader.ReadLineAsync(cancellationToken) ?? throw new InvalidOperationException($"Gateway control socket {path} closed without an answer.");
            return JsonNode.Parse(line) as JsonObject ?? throw new InvalidOperationException($"Gateway control socket {path} answered something that is not a JSON object.");
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException($"Cannot reach gateway control socket {path}: {e.Message}.", e);
        }
    }
}
