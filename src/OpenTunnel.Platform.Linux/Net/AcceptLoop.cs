using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace OpenTunnel.Platform.Linux.Net;

/// <summary>
/// The one accept loop of every listening stream socket (the gateway's TLS port, its metrics
/// endpoint and its control socket), after garnet's server:
/// <list type="bullet">
/// <item>at the connection limit it stops accepting until a connection ends, so connections over
/// the limit wait in the kernel's backlog (and, once that is full, are not answered) instead of
/// being accepted and closed: no descriptor, no TLS work and no log line for them;</item>
/// <item>a connection that died before it was accepted is skipped;</item>
/// <item>any other accept error (out of descriptors or buffers, or anything unexpected) is logged
/// and backs off, doubling from <see cref="InitialBackoff"/> up to <see cref="MaxBackoff"/> while
/// errors repeat, and starting over after a successful accept;</item>
/// <item>closing the socket or cancelling ends the loop.</item>
/// </list>
/// Each accepted connection is served on its own task; <see cref="DrainAsync"/> waits for them.
/// </summary>
public sealed partial class AcceptLoop
{
    /// <summary>The first pause after an accept error.</summary>
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(10);

    /// <summary>The longest pause between accept attempts while errors repeat.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    /// <summary>While at the limit, how often the limit is read again (it can be raised by a reload).</summary>
    private static readonly TimeSpan LimitRecheck = TimeSpan.FromSeconds(1);

    private readonly Socket _socket;
    private readonly Func<Socket, CancellationToken, Task> _serve;
    private readonly Func<int> _maxConnections;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _connectionEnded = new(0);
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _connections = [];
    private int _open;

    /// <summary>
    /// A loop over <paramref name="socket"/> (bound and listening) that hands each connection to
    /// <paramref name="serve"/> (which need not dispose it) while fewer than
    /// <paramref name="maxConnections"/> (read before each accept) are open.
    /// </summary>
    public AcceptLoop(Socket socket, Func<Socket, CancellationToken, Task> serve, Func<int> maxConnections, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(serve);
        ArgumentNullException.ThrowIfNull(maxConnections);
        ArgumentNullException.ThrowIfNull(logger);
        _socket = socket;
        _serve = serve;
        _maxConnections = maxConnections;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Connections accepted and still being served.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>Accepts until <paramref name="stopping"/> is cancelled or the socket is closed.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        TimeSpan backoff = InitialBackoff;
        while (!stopping.IsCancellationRequested)
        {
            if (Volatile.Read(ref _open) >= _maxConnections())
            {
                try
                {
                    await _connectionEnded.WaitAsync(LimitRecheck, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            Socket client;
            try
            {
                client = await _socket.AcceptAsync(stopping);
                backoff = InitialBackoff;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                continue;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException
                || e is SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted or SocketError.Shutdown })
            {
                return;
            }
            catch (SocketException e)
            {
                AcceptFailed(_logger, (int)backoff.TotalMilliseconds, e.Message);
                await Task.Delay(backoff, _time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
                continue;
            }

            Interlocked.Increment(ref _open);
            Track(ServeAsync(client, stopping));
        }
    }

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
            if (_connectionEnded.CurrentCount == 0)
            {
                // Wakes a loop waiting at the limit; it reads the count again, so one signal is enough.
                _connectionEnded.Release();
            }
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

    [LoggerMessage(103, LogLevel.Warning, "Accepting connections failed, retrying in {Delay} ms: {Reason}")]
    private static partial void AcceptFailed(ILogger logger, int delay, string reason);
}
