using System.Net;
using System.Net.Sockets;

namespace OpenTunnel.Testing;

/// <summary>
/// Lets a process inside a test's network namespace reach a service on the test process's own
/// loopback (the management service of an end-to-end test): a TCP listener on 127.0.0.1:PORT
/// inside the namespace (its socket made on a thread that joined the namespace, so it stays there),
/// each connection relayed to 127.0.0.1:PORT here. The same URL then works in both namespaces.
/// </summary>
public sealed class NamespaceRelay : IDisposable
{
    private readonly Socket _listener;
    private readonly int _port;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private NamespaceRelay(Socket listener, int port)
    {
        _listener = listener;
        _port = port;
        _accepting = AcceptAsync();
    }

    public static NamespaceRelay Start(string ns, int port) => new(NamespaceThread.Run(ns, () =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        socket.Listen(64);
        return socket;
    }), port);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket inside;
            try
            {
                inside = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = RelayAsync(inside);
        }
    }

    private async Task RelayAsync(Socket inside)
    {
        using (inside)
        using (var outside = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            try
            {
                await outside.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _port), _stop.Token);
                await using var a = new NetworkStream(inside);
                await using var b = new NetworkStream(outside);
                await Task.WhenAll(Copy(a, b), Copy(b, a));
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // The service or the client closed the connection, or the relay is stopping.
            }
        }
    }

    /// <summary>Copies one direction; its end is passed on as a half-close, so the other direction finishes too.</summary>
    private async Task Copy(NetworkStream from, NetworkStream to)
    {
        await from.CopyToAsync(to, _stop.Token);
        to.Socket.Shutdown(SocketShutdown.Send);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _accepting.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
