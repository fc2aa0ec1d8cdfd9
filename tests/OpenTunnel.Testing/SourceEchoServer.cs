using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OpenTunnel.Testing;

/// <summary>
/// A tiny HTTP server inside a namespace that answers every request with the address the
/// connection came from, so a test can see whether traffic was translated (PAT) or arrived with
/// the client's own address. One answer per connection; it stops on Dispose.
/// </summary>
public sealed class SourceEchoServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();

    private SourceEchoServer(TcpListener listener)
    {
        _listener = listener;
        _ = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Listens on <paramref name="address"/> (an address of namespace <paramref name="ns"/>), on <paramref name="port"/> (default: a free one).</summary>
    public static SourceEchoServer Start(string ns, string address, int port = 0) =>
        new(NamespaceThread.Run(ns, () =>
        {
            var listener = new TcpListener(IPAddress.Parse(address), port);
            listener.Start();
            return listener;
        }));

    public void Dispose()
    {
        _stopping.Cancel();
        _listener.Stop();
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = AnswerAsync(socket);
        }
    }

    private static async Task AnswerAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                byte[] buffer = new byte[4096];
                await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(5));
                string source = ((IPEndPoint)socket.RemoteEndPoint!).Address.ToString();
                await socket.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {source.Length}\r\nConnection: close\r\n\r\n{source}"), SocketFlags.None);
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or TimeoutException or ObjectDisposedException)
            {
                // The client went away.
            }
        }
    }
}
