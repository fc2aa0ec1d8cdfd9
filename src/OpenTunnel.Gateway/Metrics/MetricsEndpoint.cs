using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenTunnel.Platform.Linux.Net;

namespace OpenTunnel.Gateway.Metrics;

/// <summary>
/// A minimal HTTP/1.1 endpoint on a local address that answers <c>GET /metrics</c> with the
/// Prometheus exposition and anything else with 404. One request per connection.
/// </summary>
public sealed class MetricsEndpoint : IAsyncDisposable
{
    /// <summary>Scrapes served at once; more wait in the backlog.</summary>
    public const int MaxConnections = 64;

    private readonly TcpListener _listener;
    private readonly PrometheusExposition _exposition;
    private readonly AcceptLoop _loop;
    private readonly CancellationTokenSource _stopping = new();
    private Task _accepting = Task.CompletedTask;

    public MetricsEndpoint(IPEndPoint endPoint, PrometheusExposition exposition, ILogger logger)
    {
        _listener = new TcpListener(endPoint);
        _exposition = exposition;
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
        bool metrics = request.StartsWith("GET /metrics ", StringComparison.Ordinal) || request.StartsWith("GET /metrics?", StringComparison.Ordinal);
        string body = metrics ? _exposition.Collect() : "not found\n";
        string status = metrics ? "200 OK" : "404 Not Found";
        byte[] content = Encoding.UTF8.GetBytes(body);
        string head = $"HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None, timeout.Token);
        await socket.SendAsync(content, SocketFlags.None, timeout.Token);
    }
}
