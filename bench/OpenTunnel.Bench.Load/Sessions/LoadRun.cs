using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Authentication;
using OpenTunnel.Bench.Load.Statistics;
using OpenTunnel.Protocol.Client;

namespace OpenTunnel.Bench.Load.Sessions;

/// <summary>The figures of the ramp: how many sessions came up, how fast, and why the others did not.</summary>
public sealed record RampResult(
    int Requested,
    int Established,
    int Failed,
    double Seconds,
    double SessionsPerSecond,
    double SignInMillisecondsP50,
    double SignInMillisecondsP90,
    double SignInMillisecondsMax,
    IReadOnlyDictionary<string, int> Errors,
    IReadOnlyDictionary<string, string> FirstErrorMessages);

/// <summary>What happened while the sessions were held.</summary>
public sealed record HoldResult(int AliveAtEnd, int Lost, double Seconds, LoadCounters Counters);

/// <summary>
/// Opens <see cref="LoadOptions.Sessions"/> tunnels with bounded concurrency, then holds them,
/// sending keepalives, DPDs and (with --ping) echo requests on a jittered schedule, until told to stop.
/// </summary>
internal sealed class LoadRun
{
    /// <summary>
    /// How long, after the last echo request, the hold waits for the replies still on their way
    /// before it disconnects: on a machine at a load average of 30 a round trip takes up to about
    /// half a second, so a reply later than this is lost, not late.
    /// </summary>
    private static readonly TimeSpan ReplyWait = TimeSpan.FromSeconds(10);

    private readonly LoadOptions _options;
    private readonly LoadCounters _counters = new();
    private readonly ConcurrentBag<TunnelSession> _sessions = [];
    private readonly List<Task> _readLoops = [];

    public LoadRun(LoadOptions options)
    {
        _options = options;
    }

    public IReadOnlyCollection<TunnelSession> Sessions => _sessions;

    /// <summary>Signs in and connects every session; failures are counted by reason, not retried.</summary>
    public async Task<RampResult> RampAsync(CancellationToken cancellationToken)
    {
        var durations = new double[_options.Sessions];
        var errors = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var firstMessages = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        int established = 0;
        var total = Stopwatch.StartNew();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, _options.Sessions),
            new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = cancellationToken },
            async (index, ct) =>
            {
                var source = _options.SourceAddresses.Count == 0 ? null : _options.SourceAddresses[index % _options.SourceAddresses.Count];
                long started = Stopwatch.GetTimestamp();
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(_options.Timeout);
                try
                {
                    var session = await TunnelSession.EstablishAsync(index, _options, source, _counters, timeout.Token);
                    durations[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    _sessions.Add(session);
                    lock (_readLoops)
                    {
                        _readLoops.Add(Task.Run(session.RunAsync, CancellationToken.None));
                    }

                    Interlocked.Increment(ref established);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    durations[index] = double.NaN;
                    string reason = Classify(e, timeout.IsCancellationRequested);
                    errors.AddOrUpdate(reason, 1, (_, n) => n + 1);
                    firstMessages.TryAdd(reason, e.GetType().Name + ": " + e.Message);
                }
            });
        double seconds = total.Elapsed.TotalSeconds;
        double[] ok = [.. durations.Where(d => !double.IsNaN(d) && d > 0).Order()];
        return new RampResult(
            _options.Sessions,
            established,
            _options.Sessions - established,
            seconds,
            seconds > 0 ? established / seconds : 0,
            Percentiles.Of(ok, 0.5),
            Percentiles.Of(ok, 0.9),
            ok.Length > 0 ? ok[^1] : 0,
            new SortedDictionary<string, int>(errors, StringComparer.Ordinal),
            new SortedDictionary<string, string>(firstMessages, StringComparer.Ordinal));
    }

    /// <summary>
    /// Holds the sessions until <paramref name="cancellationToken"/> fires (or the hold time passes),
    /// sending each session's keepalive and DPD when due, then waits for the echo replies still on
    /// their way (at most <see cref="ReplyWait"/>) and disconnects them all. Without that wait the
    /// requests sent in the last round trip would count as unanswered.
    /// </summary>
    public async Task<HoldResult> HoldAsync(CancellationToken cancellationToken)
    {
        var held = Stopwatch.StartNew();
        int initiallyAlive = _sessions.Count(s => s.IsAlive);
        long now = Environment.TickCount64;
        foreach (var session in _sessions)
        {
            // Spread the first keepalive and DPD over a whole interval so they do not all land in the same second.
            session.NextKeepaliveAt = now + Jitter(KeepaliveInterval(session));
            session.NextDpdAt = now + Jitter(DpdInterval(session));
            session.NextPingAt = now + Jitter(_options.PingInterval);
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (_options.Hold > TimeSpan.Zero && held.Elapsed >= _options.Hold)
                {
                    break;
                }

                Tick();
            }
        }
        catch (OperationCanceledException)
        {
            // Told to stop: fall through to the disconnects.
        }

        double seconds = held.Elapsed.TotalSeconds;
        await WaitForRepliesAsync();
        int alive = _sessions.Count(s => s.IsAlive);
        await Task.WhenAll(_sessions.Select(s => s.StopAsync()));
        Task[] loops;
        lock (_readLoops)
        {
            loops = [.. _readLoops];
        }

        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        return new HoldResult(alive, initiallyAlive - alive, seconds, _counters);
    }

    internal static string Classify(Exception e, bool timedOut) => e switch
    {
        _ when timedOut => "timeout",
        SignInException s => s.Message.Split(':')[0],
        SocketException s => "tcp " + s.SocketErrorCode,
        AuthenticationException => "tls handshake",
        IOException { InnerException: SocketException s } => "connection " + s.SocketErrorCode,
        IOException => "connection closed",
        FormatException => "bad response",
        _ => e.GetType().Name,
    };

    private async Task WaitForRepliesAsync()
    {
        var waiting = Stopwatch.StartNew();
        while (Interlocked.Read(ref _counters.PingRepliesReceived) < Interlocked.Read(ref _counters.PingsSent) && waiting.Elapsed < ReplyWait)
        {
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private static long Jitter(TimeSpan interval) => Random.Shared.NextInt64(1, (long)interval.TotalMilliseconds + 1);

    private TimeSpan KeepaliveInterval(TunnelSession session) =>
        _options.Keepalive > TimeSpan.Zero ? _options.Keepalive : TimeSpan.FromSeconds(session.ServerKeepaliveSeconds);

    private TimeSpan DpdInterval(TunnelSession session) =>
        _options.Dpd > TimeSpan.Zero ? _options.Dpd : TimeSpan.FromSeconds(session.ServerDpdSeconds);

    private void Tick()
    {
        long now = Environment.TickCount64;
        foreach (var session in _sessions)
        {
            if (!session.IsAlive)
            {
                continue;
            }

            // An interval of 0 (neither set here nor sent by the server) means that message is never sent.
            var keepalive = KeepaliveInterval(session);
            if (keepalive > TimeSpan.Zero && now >= session.NextKeepaliveAt)
            {
                session.NextKeepaliveAt = now + (long)keepalive.TotalMilliseconds;
                _ = session.SendKeepaliveAsync();
            }

            var dpd = DpdInterval(session);
            if (dpd > TimeSpan.Zero && now >= session.NextDpdAt)
            {
                session.NextDpdAt = now + (long)dpd.TotalMilliseconds;
                _ = session.SendDpdAsync();
            }

            if (_options.Ping is { } target && now >= session.NextPingAt)
            {
                session.NextPingAt = now + (long)_options.PingInterval.TotalMilliseconds;
                _ = session.SendPingAsync(target);
            }
        }
    }
}
