using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenTunnel.Agent.Gateway;

/// <summary>
/// The gateway's control socket (a Unix socket, mode 0600): one JSON request line, one JSON
/// answer line, <c>{"ok":true,"result":...}</c> or <c>{"ok":false,"error":"..."}</c>.
/// A connection failure is <see cref="GatewayUnavailableException"/>; an answer with ok false
/// is <see cref="GatewayRefusedException"/>.
/// </summary>
public sealed class GatewayControlSocket(string socketPath) : IGatewayControl
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public async Task<JsonObject> StatusAsync(CancellationToken cancellationToken) =>
        await SendAsync(new JsonObject { ["command"] = "status" }, cancellationToken) as JsonObject
        ?? throw new GatewayUnavailableException("The gateway's status answer is not an object.");

    public async Task<JsonArray> SessionsAsync(CancellationToken cancellationToken) =>
        await SendAsync(new JsonObject { ["command"] = "sessions" }, cancellationToken) as JsonArray
        ?? throw new GatewayUnavailableException("The gateway's sessions answer is not a list.");

    public Task ApplyAsync(JsonObject configuration, CancellationToken cancellationToken) =>
        SendAsync(new JsonObject { ["command"] = "apply", ["configuration"] = configuration.DeepClone() }, cancellationToken);

    public async Task<int> EndSessionsAsync(string command, string target, CancellationToken cancellationToken)
    {
        JsonNode? result = await SendAsync(new JsonObject { ["command"] = command, ["target"] = target }, cancellationToken);
        return result?["sessions"]?.GetValue<int>() ?? 0;
    }

    public Task DrainAsync(bool draining, CancellationToken cancellationToken) =>
        SendAsync(new JsonObject { ["command"] = "drain", ["enabled"] = draining }, cancellationToken);

    private async Task<JsonNode?> SendAsync(JsonObject request, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        string line;
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), limit.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"), limit.Token);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            line = await reader.ReadLineAsync(limit.Token) ?? throw new GatewayUnavailableException("The gateway closed its control connection without an answer.");
        }
        catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new GatewayUnavailableException($"The gateway's control socket {socketPath} cannot be reached: {e.Message}", e);
        }

        JsonObject answer;
        try
        {
            answer = JsonNode.Parse(line) as JsonObject ?? throw new GatewayUnavailableException("The gateway's answer is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new GatewayUnavailableException($"The gateway's answer is not JSON: {e.Message}", e);
        }

        return answer["ok"]?.GetValue<bool>() == true
            ? answer["result"]
            : throw new GatewayRefusedException(answer["error"]?.GetValue<string>() ?? "The gateway refused the request without a reason.");
    }
}
