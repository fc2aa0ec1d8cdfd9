using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OpenTunnel.Gateway.Metrics;

/// <summary>
/// A minimal HTTP/1.1 endpoint on a local address that answers <c>GET /metrics</c> with the
/// Prometheus exposition and anything else with 404. One request per connection.
/// </summary>
public sealed class MetricsEndpoint : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly PrometheusExposition _exposition;
    private readonly CancellationTokenSource _stopping = new();
    private Task _accepting = Task.CompletedTask;

    public MetricsEndpoint(IPEndPoint endPoint, PrometheusExposition exposition)
    {
        _listener = new TcpListener(endPoint);
        _exposition = exposition;
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public void Start()
    {
        _listener.Start();
        _accepting = AcceptLoopAsync(_stopping.Token);
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

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(cancellationToken);
            }
            catch (SocketException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(socket, cancellationToken);
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        using (socket)
        {
            try
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
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A scraper that went away.
            }
        }
    }
}
