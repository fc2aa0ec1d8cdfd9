using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Connections;
using OpenTunnel.Gateway.Control;
using OpenTunnel.Gateway.DataPlane;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.SignIn;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Observability;

namespace OpenTunnel.Gateway.Hosting;

/// <summary>
/// The gateway's listeners over its sessions and data plane, as one hosted service because start
/// and stop are one sequence. Start: the TLS listener is bound, DTLS on its port number, the data
/// plane's reader, the control socket and the metrics endpoint, then connections are accepted
/// (the host tells systemd READY=1 after this). Stop: no new connections, every client is told
/// TERMINATE, DTLS, the loops and the connections end, then the control socket, the metrics
/// endpoint and the data plane; the host then removes the nftables table and closes the TUN
/// device (<see cref="TunnelInterface"/>).
/// </summary>
public sealed class GatewayServer : IHostedService, IGatewayHost
{
    private readonly GatewayConfiguration _configuration;
    private readonly TunDataPlane _dataPlane;
    private readonly SessionTable _sessions;
    private readonly SessionSupervisor _supervisor;
    private readonly SessionStore _store;
    private readonly SignInService _signIn;
    private readonly PreAuthGate _preAuthGate;
    private readonly PacketCounters _counters;
    private readonly GatewayMetrics _metrics;
    private readonly CertificateWatch _certificateWatch;
    private readonly HealthCheckService _health;
    private readonly IMeterFactory _meters;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly ILogger _connectionLogger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private ConnectionListener? _listener;
    private ControlServer? _control;
    private LoopbackHttpEndpoint? _metricsEndpoint;
    private Task _accepting = Task.CompletedTask;
    private Task _sweeping = Task.CompletedTask;
    private Task _saving = Task.CompletedTask;
    private int _stopped;
    private bool _serving;

    internal GatewayServer(GatewayConfiguration configuration, TunDataPlane dataPlane, SessionTable sessions, SessionSupervisor supervisor, SessionStore store, SignInService signIn,
        PreAuthGate preAuthGate, PacketCounters counters, GatewayMetrics metrics, CertificateWatch certificateWatch, HealthCheckService health, IMeterFactory meters, TimeProvider time,
        ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        _configuration = configuration;
        _dataPlane = dataPlane;
        _sessions = sessions;
        _supervisor = supervisor;
        _store = store;
        _signIn = signIn;
        _preAuthGate = preAuthGate;
        _counters = counters;
        _metrics = metrics;
        _certificateWatch = certificateWatch;
        _health = health;
        _meters = meters;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger(GatewayServices.LogCategory);
        _connectionLogger = loggers.CreateLogger(ConnectionLogCategory);
    }

    /// <summary>The log category of the clients' connections.</summary>
    public const string ConnectionLogCategory = "OpenTunnel.Gateway.Connection";

    public RunningConfiguration Current => _configuration.Current;

    /// <summary>The DTLS side, or null when Udp:Enabled is false.</summary>
    public GatewayDtls? Dtls { get; private set; }

    public IPEndPoint ListenEndPoint => _listener?.LocalEndPoint ?? throw new InvalidOperationException("The gateway has not started.");

    public IPEndPoint? MetricsEndPoint => _metricsEndpoint?.EndPoint;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public RunningConfiguration Reload(string? file) => _configuration.Reload(file);

    public RunningConfiguration Apply(GatewayOptions options, string origin) => _configuration.Apply(options, origin);

    /// <summary>
    /// Binds the listeners and starts serving. Throws <see cref="GatewayConfigurationException"/>
    /// when the DTLS port is taken; what started is stopped again then.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = _configuration.Current.Options;
        try
        {
            var endPoint = new IPEndPoint(IPAddress.Parse(options.Listener.Address), options.Listener.Port);
            _listener = new ConnectionListener(endPoint, ServeAsync, () => ConnectionListener.MaxConnections(_configuration.Current.Options.Limits), _logger);
            _control = new ControlServer(options.EffectiveControlSocketPath, new ControlCommands(this, _sessions, _supervisor, _signIn, _counters, _preAuthGate.Budget, _store), _loggers.CreateLogger("OpenTunnel.Gateway.Control"));
            if (!string.IsNullOrEmpty(options.Metrics.Address))
            {
                _metricsEndpoint = new LoopbackHttpEndpoint(IPEndPoint.Parse(options.Metrics.Address), _meters, [GatewayMetrics.MeterName], _health, _loggers);
            }

            if (options.Udp.Enabled)
            {
                Dtls = StartDtls(options);
            }
            else
            {
                DtlsLog.Disabled(_logger);
            }

            _dataPlane.Start();
            _control.Start();
            GatewayLog.ControlListening(_logger, options.EffectiveControlSocketPath);
            if (_metricsEndpoint is { } metrics)
            {
                await metrics.StartAsync(cancellationToken);
                GatewayLog.MetricsListening(_logger, MetricsEndPoint!);
            }

            // Last before accepting: a start that failed before this point leaves the session file as it was.
            RestoreSessions(options.Limits.MaxSessions);
            _saving = _store.RunAsync(_stopping.Token);
            _accepting = _listener.RunAsync(_stopping.Token);
            Volatile.Write(ref _serving, true);
            _sweeping = SweepLoopAsync(_stopping.Token);
            var certificate = _configuration.Current.Certificate;
            GatewayLog.Listening(_logger, ListenEndPoint, certificate.Certificate.Subject, certificate.NotAfter, certificate.Pin);
        }
        catch
        {
            await StopAsync(CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// What /healthz/ready checks: the TLS listener accepts connections (from the end of the start
    /// until the stop begins), and the gateway takes new sessions (it is not draining, so a load
    /// balancer sends new clients elsewhere while it drains).
    /// </summary>
    internal static readonly string[] ReadinessChecks = ["listener", "accepting-sessions"];

    /// <summary>Whether the readiness check <paramref name="check"/> (one of <see cref="ReadinessChecks"/>) holds now.</summary>
    internal bool Holds(string check) => check switch
    {
        "listener" => Volatile.Read(ref _serving) && !_accepting.IsCompleted,
        "accepting-sessions" => !_signIn.Draining,
        _ => throw new ArgumentOutOfRangeException(nameof(check), check, "not a readiness check of the gateway"),
    };

    /// <summary>
    /// Stops: no new connections, every client gets TERMINATE, then the listeners and the data
    /// plane. Idempotent.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        // Whether it ever served: only then is there a session file that this clean stop makes moot.
        bool served = Volatile.Read(ref _serving);
        Volatile.Write(ref _serving, false);
        _listener?.Stop();
        GatewayLog.Stopping(_logger, _sessions.Count);
        await _supervisor.TerminateAllAsync();
        Dtls?.Dispose();
        await _stopping.CancelAsync();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _sweeping.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (served)
        {
            await _saving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _store.Delete();
        }

        if (_listener is not null)
        {
            await _listener.DrainAsync(TimeSpan.FromSeconds(3));
        }

        if (_control is not null)
        {
            await _control.DisposeAsync();
        }

        if (_metricsEndpoint is not null)
        {
            await _metricsEndpoint.DisposeAsync();
        }

        _dataPlane.Dispose();
        _stopping.Dispose();
    }

    /// <summary>DTLS on the TLS listener's address and port number, over UDP (the number clients are told in X-DTLS-Port).</summary>
    private GatewayDtls StartDtls(GatewayOptions options)
    {
        var endPoint = new IPEndPoint(ListenEndPoint.Address, ListenEndPoint.Port);
        try
        {
            var dtls = GatewayDtls.Start(options.Udp, options.Timeouts.DpdSeconds, endPoint, _dataPlane, _counters, _time, _loggers,
                (session, reason) => _supervisor.EndAsync(session, reason, notify: null));
            DtlsMetrics.Register(_metrics.Meter, dtls.Listener);
            return dtls;
        }
        catch (SocketException e)
        {
            throw new GatewayConfigurationException([$"Udp: cannot listen on udp/{endPoint} for DTLS: {e.Message}. Free the port, or set Udp:Enabled to false to run over TLS only."]);
        }
    }

    /// <summary>
    /// Puts back the sessions the session file holds (a restart after a crash): each gets its
    /// addresses back and its client's cookie is accepted, unless its user or device was revoked
    /// after it signed in, or it would go over Limits:MaxSessions.
    /// </summary>
    private void RestoreSessions(int maxSessions)
    {
        var saved = _store.Read(out string? problem);
        if (problem is not null)
        {
            GatewayLog.SessionFileUnreadable(_logger, problem);
        }

        if (saved.Count == 0)
        {
            return;
        }

        int restored = 0;
        foreach (var session in saved)
        {
            string? refusal = null;
            if (_signIn.Revocations.RevokedAfterIssue(session.UserName, session.DeviceId, session.SignedInAt, session.Subject) is { } revokedAt)
            {
                refusal = $"its access was revoked at {revokedAt:yyyy-MM-dd'T'HH:mm:ss'Z'}, after it signed in";
            }
            else if (restored >= maxSessions)
            {
                refusal = $"the gateway holds its maximum of {maxSessions} sessions (Limits:MaxSessions)";
            }
            else if (_supervisor.Restore(session, out refusal) is not null)
            {
                restored++;
                continue;
            }

            GatewayLog.SessionNotRestored(_logger, session.Id, session.UserName, refusal!);
        }

        GatewayLog.SessionsRestored(_logger, restored, _store.Path, saved.Count - restored);
    }

    private Task ServeAsync(Socket socket, CancellationToken stopping) =>
        ClientConnection.ServeAsync(socket, _preAuthGate, _configuration.Current.Options.Limits,
            (client, path, preAuth) => new ClientConnection(_configuration, _signIn, _sessions, _supervisor, Dtls, _metrics, client, path, preAuth, _time, _connectionLogger), stopping);

    /// <summary>Every second: sessions past their timeouts; every minute: the certificate (<see cref="CertificateWatch"/>), first at the start.</summary>
    private async Task SweepLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        _certificateWatch.Check();
        long certificateCheckedAt = _time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                if (_time.GetElapsedTime(certificateCheckedAt) >= TimeSpan.FromMinutes(1))
                {
                    certificateCheckedAt = _time.GetTimestamp();
                    _certificateWatch.Check();
                }

                var current = _configuration.Current;
                await _supervisor.SweepAsync(current.Options.Timeouts, current.Tunnel.Unmanaged is not null);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
