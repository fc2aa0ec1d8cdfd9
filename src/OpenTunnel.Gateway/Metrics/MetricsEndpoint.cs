using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using OpenTunnel.Platform.Linux.Net;

namespace OpenTunnel.Gateway.Metrics;

/// <summary>
/// A minimal HTTP/1.1 endpoint on a local address that answers <c>GET /metrics</c> with the
/// Prometheus exposition, <c>GET /healthz/live</c> and <c>GET /healthz/ready</c> with the
/// gateway's own health (the JSON the management service and the agent answer), and anything
/// else with 404. One request per connection.
/// </summary>
public sealed class MetricsEndpoint : IAsyncDisposable
{
    /// <summary>Scrapes served at once; more wait in the backlog.</summary>
    public const int MaxConnections = 64;

    private readonly TcpListener _listener;
    private readonly PrometheusExposition _exposition;
    private readonly Func<IReadOnlyList<KeyValuePair<string, bool>>> _readiness;
    private readonly AcceptLoop _loop;
    private readonly CancellationTokenSource _stopping = new();
    private Task _accepting = Task.CompletedTask;

    /// <summary>Serves <paramref name="exposition"/> and the health answers; <paramref name="readiness"/> gives the checks /healthz/ready runs, each by name with whether it holds now.</summary>
    public MetricsEndpoint(IPEndPoint endPoint, PrometheusExposition exposition, Func<IReadOnlyList<KeyValuePair<string, bool>>> readiness, ILogger logger)
    {
        _listener = new TcpListener(endPoint);
        _exposition = exposition;
        _readiness = readiness;
        _loop = new AcceptLoop(_listener.Server, ServeAsync, () => MaxConnections, logger);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public void Start()
    {
        _listener.Start();
        _accepting = _loop.RunAsync(_stopping.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stopping.Dispose();
    }

    /// <summary>One request on <paramref name="socket"/>; a scraper that goes away ends it (the accept loop closes the socket).</summary>
    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        byte[] buffer = new byte[4096];
        int length = 0;
        while (length < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                break;
            }

            length += n;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }

        string request = Encoding.ASCII.GetString(buffer, 0, length);
        (string status, string type, string body) = RequestPath(request) switch
        {
            "/metrics" => ("200 OK", "text/plain; version=0.0.4; charset=utf-8", _exposition.Collect()),
            "/healthz/live" => HealthAnswer([]),
            "/healthz/ready" => HealthAnswer(_readiness()),
            _ => ("404 Not Found", "text/plain; charset=utf-8", "not found\n"),
        };
        byte[] content = Encoding.UTF8.GetBytes(body);
        string head = $"HTTP/1.1 {status}\r\nContent-Type: {type}\r\nCache-Control: no-store\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None, timeout.Token);
        await socket.SendAsync(content, SocketFlags.None, timeout.Token);
    }

    /// <summary>The path of a GET request line without its query; null for anything else.</summary>
    internal static string? RequestPath(string request)
    {
        if (!request.StartsWith("GET /", StringComparison.Ordinal))
        {
            return null;
        }

        int end = request.IndexOfAny([' ', '?', '\r', '\n'], 4);
        return end < 0 ? null : request[4..end];
    }

    /// <summary>
    /// 200 when every check holds, else 503, with <c>{"status":"Healthy","checks":{"listener":"Healthy"}}</c>:
    /// the shape of the management service's and the agent's answers, so one probe reads them all.
    /// </summary>
    internal static (string Status, string ContentType, string Body) HealthAnswer(IReadOnlyList<KeyValuePair<string, bool>> checks)
    {
        bool healthy = checks.All(c => c.Value);
        var answer = new JsonObject { ["status"] = healthy ? "Healthy" : "Unhealthy", ["checks"] = new JsonObject([.. checks.Select(c => new KeyValuePair<string, JsonNode?>(c.Key, c.Value ? "Healthy" : "Unhealthy"))]) };
        return (healthy ? "200 OK" : "503 Service Unavailable", "application/json", answer.ToJsonString());
    }
}
