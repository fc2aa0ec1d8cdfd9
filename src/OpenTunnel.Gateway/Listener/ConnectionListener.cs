using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Logging;

namespace OpenTunnel.Gateway.Listener;

/// <summary>
/// The accept loop of the TLS port. Accept errors fall in three tiers (as garnet's server
/// does): resource pressure (out of descriptors or buffers) backs off and retries; a connection
/// that died before it was accepted is skipped; a closed listener ends the loop. Connections
/// beyond the limit are closed at once, before any TLS work.
/// </summary>
internal sealed class ConnectionListener
{
    private readonly Socket _socket;
    private readonly Func<Socket, CancellationToken, Task> _serve;
    private readonly Func<int> _maxConnections;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _connections = [];
    private int _open;

    public ConnectionListener(IPEndPoint endPoint, Func<Socket, CancellationToken, Task> serve, Func<int> maxConnections, ILogger logger)
    {
        _serve = serve;
        _maxConnections = maxConnections;
        _logger = logger;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
        {
            _socket.DualMode = true;
        }

        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(endPoint);
        _socket.Listen(512);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Accepts until <paramref name="stopping"/> is cancelled or <see cref="Stop"/> closes the socket.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        int backoff = 10;
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(stopping);
                backoff = 10;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                GatewayLog.AcceptFailed(_logger, backoff, e.Message);
                await Task.Delay(backoff, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = Math.Min(backoff * 2, 1000);
                continue;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                continue;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (Interlocked.Increment(ref _open) > _maxConnections())
            {
                Interlocked.Decrement(ref _open);
                client.Close(0);
                continue;
            }

            Track(ServeAsync(client, stopping));
        }
    }

    /// <summary>Stops accepting; idempotent.</summary>
    public void Stop() => _socket.Close();

    /// <summary>Waits for the connections still open, at most <paramref name="timeout"/>.</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        Task[] open;
        lock (_gate)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).WaitAsync(timeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ServeAsync(Socket client, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            await _serve(client, stopping);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            // The client went away.
        }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _open);
        }
    }

    private void Track(Task connection)
    {
        lock (_gate)
        {
            _connections.Add(connection);
        }

        connection.ContinueWith(
            done =>
            {
                lock (_gate)
                {
                    _connections.Remove(done);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
