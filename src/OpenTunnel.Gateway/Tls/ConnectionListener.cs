using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Platform.Linux.Net;

namespace OpenTunnel.Gateway.Tls;

/// <summary>
/// The TLS port: its listening socket and its <see cref="AcceptLoop"/>, which stops accepting
/// while <see cref="MaxConnections"/> connections are open and backs off on accept errors.
/// </summary>
internal sealed class ConnectionListener
{
    private readonly Socket _socket;
    private readonly AcceptLoop _loop;

    public ConnectionListener(IPEndPoint endPoint, Func<Socket, CancellationToken, Task> serve, Func<int> maxConnections, ILogger logger)
    {
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
        {
            _socket.DualMode = true;
        }

        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(endPoint);
        _socket.Listen(512);
        _loop = new AcceptLoop(_socket, serve, maxConnections, logger);
    }

    /// <summary>
    /// Connections open at most: a tunnel per session, the pre-authentication budget (which
    /// <c>PreAuthGate</c> enforces per client after accept, so the accept loop must keep
    /// accepting while that budget is full) and 64 for connections between the two (a reconnect
    /// whose old link has not closed yet). This bound only guards descriptors.
    /// </summary>
    public static int MaxConnections(LimitOptions limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return limits.MaxSessions + limits.MaxPreAuthConnections + 64;
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Accepts until <paramref name="stopping"/> is cancelled or <see cref="Stop"/> closes the socket.</summary>
    public Task RunAsync(CancellationToken stopping) => _loop.RunAsync(stopping);

    /// <summary>Stops accepting; idempotent.</summary>
    public void Stop() => _socket.Close();

    /// <summary>Waits for the connections still open, at most <paramref name="timeout"/>.</summary>
    public Task DrainAsync(TimeSpan timeout) => _loop.DrainAsync(timeout);
}
