using System.Text.Json.Nodes;
using OpenTunnel.Gateway.Contracts.Control;

namespace OpenTunnel.Agent.Gateway;

/// <summary>
/// <see cref="IGatewayControl"/> over the gateway's control socket, with the gateway's own
/// <see cref="ControlClient"/>. A request that gets no answer within 30 s counts as a gateway
/// that cannot be reached.
/// </summary>
public sealed class GatewayControlSocket(string socketPath) : IGatewayControl
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public async Task<JsonObject> StatusAsync(CancellationToken cancellationToken) =>
        await SendAsync(ControlRequest.Command(ControlRequest.Status), cancellationToken) as JsonObject
        ?? throw new ControlUnavailableException("The gateway's status answer is not an object.");

    public async Task<JsonArray> SessionsAsync(CancellationToken cancellationToken) =>
        await SendAsync(ControlRequest.Command(ControlRequest.Sessions), cancellationToken) as JsonArray
        ?? throw new ControlUnavailableException("The gateway's sessions answer is not a list.");

    public Task ApplyAsync(JsonObject configuration, CancellationToken cancellationToken) =>
        SendAsync(ControlRequest.ApplyConfiguration(configuration), cancellationToken);

    public Task<int> EndSessionsAsync(string command, string target, CancellationToken cancellationToken) =>
        SessionCountAsync(ControlRequest.EndSessions(command, target), cancellationToken);

    public Task<int> RevokeAsync(string target, DateTimeOffset? at, CancellationToken cancellationToken) =>
        SessionCountAsync(ControlRequest.RevokeTarget(target, at), cancellationToken);

    private async Task<int> SessionCountAsync(JsonObject request, CancellationToken cancellationToken)
    {
        JsonNode? result = await SendAsync(request, cancellationToken);
        return result?["sessions"]?.GetValue<int>() ?? 0;
    }

    public async Task<EndedSessionsAnswer> TakeEndedSessionsAsync(Guid? journal, long acknowledged, int limit, CancellationToken cancellationToken)
    {
        JsonNode? result = await SendAsync(ControlRequest.TakeEndedSessions(journal, acknowledged, limit), cancellationToken);
        try
        {
            return EndedSessionsAnswer.FromJson(result);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException)
        {
            throw new ControlUnavailableException($"The gateway's ended-sessions answer cannot be read: {e.Message}", e);
        }
    }

    public Task DrainAsync(bool draining, CancellationToken cancellationToken) =>
        SendAsync(ControlRequest.DrainSessions(draining), cancellationToken);

    private async Task<JsonNode?> SendAsync(JsonObject request, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Timeout);
        try
        {
            return await ControlClient.SendAsync(socketPath, request, limit.Token);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ControlUnavailableException($"The gateway gave no answer on {socketPath} within {Timeout.TotalSeconds:0} s.", e);
        }
    }
}
