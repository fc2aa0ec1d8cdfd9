using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using OpenTunnel.Platform.Linux.Net;

namespace OpenTunnel.Platform.Linux.Tests.Net;

/// <summary>The accept loop over real sockets on 127.0.0.1.</summary>
[Trait("Category", "Integration")]
public sealed class AcceptLoopTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly Socket _listening = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _clients = [];
    private readonly RecordingLogger _logger = new();
    private readonly CancellationTokenSource _stopping = new();

    public AcceptLoopTests() => _listening.Bind(new IPEndPoint(IPAddress.Loopback, 0));

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _listening.Dispose();
        foreach (Socket client in _clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task RunAsync_AtTheLimit_LeavesFurtherConnectionsInTheBacklogUntilOneEnds()
    {
        _listening.Listen(16);
        // Each served connection with the client's address: the two handlers may start in either order.
        var served = new ConcurrentQueue<(EndPoint Client, TaskCompletionSource Held)>();
        var loop = new AcceptLoop(_listening, (socket, _) =>
        {
            var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            served.Enqueue((socket.RemoteEndPoint!, held));
            return held.Task;
        }, () => 2, _logger);
        Task running = loop.RunAsync(_stopping.Token);

        Socket first = await ConnectAsync();
        Socket second = await ConnectAsync();
        Socket third = await ConnectAsync();
        await WaitUntilAsync(() => served.Count == 2);
        await Task.Delay(300);

        // The third is connected (the kernel completed it) but not accepted, and not closed either.
        Assert.Equal(2, served.Count);
        Assert.Equal(2, loop.OpenConnections);
        Assert.False(third.Poll(TimeSpan.FromMilliseconds(100), SelectMode.SelectRead), "the connection over the limit was accepted and closed");

        served.TryPeek(out var ending);
        Socket ended = new[] { first, second }.Single(client => client.LocalEndPoint!.Equals(ending.Client));
        ending.Held.SetResult();
        await WaitUntilAsync(() => served.Count == 3);
        Assert.Equal(2, loop.OpenConnections);
        Assert.True(ended.Poll(Timeout, SelectMode.SelectRead), "the connection that ended was not closed");
        Assert.False(running.IsCompleted);
    }

    [Fact]
    public async Task RunAsync_RepeatedAcceptErrors_BacksOffDoublingToTheCapThenStartsOverAfterASuccess()
    {
        // A listening socket shut down for reading stops listening: every accept fails with EINVAL,
        // a real error from the kernel; listen(2) again makes it accept.
        _listening.Listen(16);
        _listening.Shutdown(SocketShutdown.Receive);
        var time = new FakeTimeProvider();
        int servedCount = 0;
        var loop = new AcceptLoop(_listening, (_, _) => { Interlocked.Increment(ref servedCount); return Task.CompletedTask; }, () => 10, _logger, time);
        Task running = loop.RunAsync(_stopping.Token);

        int[] expected = [10, 20, 40, 80, 160, 320, 640, 1000, 1000];
        for (int i = 0; i < expected.Length; i++)
        {
            await WaitUntilAsync(() => _logger.Delays.Count == i + 1);
            Assert.Equal(expected[i], _logger.Delays[i]);
            await Task.Delay(50);
            Assert.Equal(i + 1, _logger.Delays.Count); // no retry before the pause has passed
            if (i == expected.Length - 1)
            {
                _listening.Listen(16);
            }

            time.Advance(TimeSpan.FromMilliseconds(expected[i]));
        }

        await ConnectAsync();
        await WaitUntilAsync(() => Volatile.Read(ref servedCount) == 1);
        Assert.Equal(expected.Length, _logger.Delays.Count);
        Assert.All(_logger.Events, id => Assert.Equal(103, id));
        Assert.False(running.IsCompleted);
    }

    [Fact]
    public async Task RunAsync_Cancelled_EndsWhileAcceptingAndWhileAtTheLimit()
    {
        _listening.Listen(16);
        var served = new ConcurrentQueue<TaskCompletionSource>();
        var loop = new AcceptLoop(_listening, (_, _) => Hold(served), () => 1, _logger);

        using (var stopping = new CancellationTokenSource())
        {
            Task accepting = loop.RunAsync(stopping.Token);
            await Task.Delay(100);
            await stopping.CancelAsync();
            await accepting.WaitAsync(Timeout);
        }

        using (var stopping = new CancellationTokenSource())
        {
            Task atLimit = loop.RunAsync(stopping.Token);
            await ConnectAsync();
            await WaitUntilAsync(() => served.Count == 1);
            await stopping.CancelAsync();
            await atLimit.WaitAsync(Timeout);
        }

        Assert.Empty(_logger.Delays);
    }

    [Fact]
    public async Task RunAsync_SocketClosed_Ends()
    {
        _listening.Listen(16);
        var loop = new AcceptLoop(_listening, (_, _) => Task.CompletedTask, () => 1, _logger);
        Task running = loop.RunAsync(_stopping.Token);
        await Task.Delay(100);

        _listening.Close();

        await running.WaitAsync(Timeout);
        Assert.Empty(_logger.Delays);
    }

    private static Task Hold(ConcurrentQueue<TaskCompletionSource> served)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        served.Enqueue(held);
        return held.Task;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    private async Task<Socket> ConnectAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _clients.Add(client);
        await client.ConnectAsync(_listening.LocalEndPoint!);
        return client;
    }

    private sealed class RecordingLogger : ILogger
    {
        private readonly Lock _gate = new();
        private readonly List<int> _delays = [];
        private readonly List<int> _events = [];

        public IReadOnlyList<int> Delays
        {
            get
            {
                lock (_gate)
                {
                    return [.. _delays];
                }
            }
        }

        public IReadOnlyList<int> Events
        {
            get
            {
                lock (_gate)
                {
                    return [.. _events];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            int delay = state is IReadOnlyList<KeyValuePair<string, object?>> values ? (int)values.First(v => v.Key == "Delay").Value! : -1;
            lock (_gate)
            {
                _delays.Add(delay);
                _events.Add(eventId.Id);
            }
        }
    }
}
