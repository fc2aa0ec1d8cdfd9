using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Connections;
using OpenTunnel.Gateway.Control;
using OpenTunnel.Gateway.DataPlane;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Firewall;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.SignIn;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Platform.Linux.Tun;

namespace OpenTunnel.Gateway;

/// <summary>
/// The running gateway: TLS listener, sessions, address pool, TUN data plane, PAT rules,
/// control socket and metrics. <see cref="Apply"/> swaps in a new configuration atomically
/// after validating it; sessions keep running. Settings that need a restart (listener, TUN
/// device, pool, firewall ownership, data directory, control and metrics addresses) are refused
/// by a reload with a message naming them.
/// </summary>
public sealed class GatewayServer : IGatewayHost, IAsyncDisposable
{
    /// <summary>Where the sign-in service keeps revoked users and devices (the control API's <c>revoke</c>), in the data directory.</summary>
    public const string RevocationsFileName = "revocations.json";

    private readonly CancellationTokenSource _stopping = new();
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly ILogger _connectionLogger;
    private readonly Func<AuthOptions, IAccessTokenValidator> _validatorFactory;
    private readonly Lock _applyGate = new();
    private readonly TunDevice _tun;
    private readonly NftablesFirewall? _firewall;
    private readonly ConnectionListener _listener;
    private readonly ControlServer _control;
    private readonly PrometheusExposition _exposition;
    private readonly MetricsEndpoint? _metricsEndpoint;
    private readonly PreAuthGate _preAuthGate;
    private volatile RunningConfiguration _current;
    private Task _accepting = Task.CompletedTask;
    private Task _sweeping = Task.CompletedTask;
    private int _stopped;

    private GatewayServer(RunningConfiguration configuration, TunDevice tun, NftablesFirewall? firewall, Func<AuthOptions, IAccessTokenValidator> validatorFactory, ILoggerFactory loggers, TimeProvider time)
    {
        _current = configuration;
        _tun = tun;
        _firewall = firewall;
        _validatorFactory = validatorFactory;
        _loggers = loggers;
        _logger = loggers.CreateLogger("OpenTunnel.Gateway");
        _connectionLogger = loggers.CreateLogger("OpenTunnel.Gateway.Connection");
        Time = time;
        var options = configuration.Options;
        Pool = new IPv4AddressPool(configuration.Tunnel.Pool);
        Pool6 = configuration.Tunnel.IPv6Pool is { } pool6 ? new IPv6AddressPool(pool6) : null;
        Counters = new PacketCounters();
        Sessions = new SessionTable();
        Metrics = new GatewayMetrics(Sessions, Counters);
        _exposition = new PrometheusExposition(Metrics.Meter);
        DataPlane = new TunDataPlane(tun, configuration.Tunnel.TunMtu, Pool, Pool6, Counters, time, loggers.CreateLogger("OpenTunnel.Gateway.DataPlane"))
        {
            AllowClientToClient = options.Network.AllowClientToClient,
        };
        Supervisor = new SessionSupervisor(Sessions, Pool, Pool6, DataPlane, Counters, time, _logger);
        var revocations = AccessRevocations.Load(Path.Combine(options.DataDirectory, RevocationsFileName), time, out string? revocationsProblem);
        if (revocationsProblem is not null)
        {
            GatewayLog.RevocationsUnreadable(_logger, revocationsProblem);
        }

        SignIn = new SignInService(Sessions, new AuthRateLimiter(time), revocations, new BanList(time), Metrics, time, loggers.CreateLogger("OpenTunnel.Gateway.SignIn"));
        _preAuthGate = new PreAuthGate(new PreAuthBudget(), SignIn.Bans, Metrics, time, _connectionLogger);
        Metrics.ObservePreAuth(() => _preAuthGate.Budget.Count, () => SignIn.Bans.BannedCount);
        var endPoint = new IPEndPoint(IPAddress.Parse(options.Listener.Address), options.Listener.Port);
        _listener = new ConnectionListener(endPoint, ServeAsync, () => ConnectionListener.MaxConnections(_current.Options.Limits), _logger);
        _control = new ControlServer(options.EffectiveControlSocketPath, new ControlCommands(this, Sessions, Supervisor, SignIn, Counters, _preAuthGate.Budget), loggers.CreateLogger("OpenTunnel.Gateway.Control"));
        if (!string.IsNullOrEmpty(options.Metrics.Address))
        {
            _metricsEndpoint = new MetricsEndpoint(IPEndPoint.Parse(options.Metrics.Address), _exposition, _logger);
        }
    }

    public RunningConfiguration Current => _current;

    /// <summary>The configuration file reload reads when given none.</summary>
    public string? ConfigurationFile { get; private init; }

    public TimeProvider Time { get; }

    public IPv4AddressPool Pool { get; }

    /// <summary>The IPv6 pool, or null when the gateway is IPv4 only.</summary>
    public IPv6AddressPool? Pool6 { get; }

    public PacketCounters Counters { get; }

    public SessionTable Sessions { get; }

    public SessionSupervisor Supervisor { get; }

    public SignInService SignIn { get; }

    public TunDataPlane DataPlane { get; }

    public GatewayMetrics Metrics { get; }

    /// <summary>The DTLS side, or null when Udp:Enabled is false.</summary>
    public GatewayDtls? Dtls { get; private set; }

    public IPEndPoint ListenEndPoint => _listener.LocalEndPoint;

    public IPEndPoint? MetricsEndPoint => _metricsEndpoint?.LocalEndPoint;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// Starts a gateway: certificate (generated when none is configured), TUN device, PAT rules,
    /// listener, control socket, metrics. Throws <see cref="GatewayConfigurationException"/> or
    /// <see cref="TunDeviceException"/> with a message a person can act on.
    /// </summary>
    public static GatewayServer Start(GatewayOptions options, string? configurationFile, Func<AuthOptions, IAccessTokenValidator> validatorFactory, ILoggerFactory loggers, TimeProvider time)
    {
        var logger = loggers.CreateLogger("OpenTunnel.Gateway");
        var errors = GatewayOptionsValidator.Validate(options);
        if (errors.Count > 0)
        {
            throw new GatewayConfigurationException(errors);
        }

        Directory.CreateDirectory(options.DataDirectory);
        var certificate = ServerCertificate.Load(options.Tls, options.DataDirectory);
        if (certificate.Generated)
        {
            GatewayLog.SelfSignedCertificate(logger, certificate.Source, certificate.Pin);
        }

        var tunnel = TunnelSettings.From(options);
        CheckPoolsAgainstHost(options.Network, tunnel, HostNetworks.Read(), logger);
        var configuration = new RunningConfiguration(options, tunnel, certificate, validatorFactory(options.Auth), configurationFile ?? "the command line", time.GetUtcNow());
        var tun = TunDevice.Create(options.Network.TunDevice);
        NftablesFirewall? firewall = null;
        GatewayServer? server = null;
        try
        {
            var pool = new IPv4AddressPool(tunnel.Pool);
            var gatewayAddress = IPv4AddressPool.ToAddress(pool.GatewayAddress);
            tun.SetIPv4Address(gatewayAddress, tunnel.Pool.PrefixLength);
            tun.SetMtu(tunnel.TunMtu);
            tun.SetUp();
            GatewayLog.TunUp(logger, tun.Name, gatewayAddress, tunnel.Pool.PrefixLength, tunnel.TunMtu);
            if (tunnel.IPv6Pool is { } pool6)
            {
                var gatewayAddress6 = IPv6AddressPool.ToAddress(new IPv6AddressPool(pool6).GatewayAddress);
                tun.SetIPv6Address(gatewayAddress6, pool6.PrefixLength);
                GatewayLog.TunUp(logger, tun.Name, gatewayAddress6, pool6.PrefixLength, tunnel.TunMtu);
            }
            if (options.Network.ManageFirewall)
            {
                firewall = new NftablesFirewall(options.Network.NftablesTable);
                firewall.Apply(FirewallPolicy.From(tun.Name, tunnel, options.Network));
                GatewayLog.FirewallInstalled(logger, options.Network.NftablesTable, tunnel.Pool.ToString());
            }

            server = new GatewayServer(configuration, tun, firewall, validatorFactory, loggers, time) { ConfigurationFile = configurationFile };
            if (options.Udp.Enabled)
            {
                server.Dtls = StartDtls(server, options, loggers, time);
            }
            else
            {
                DtlsLog.Disabled(logger);
            }

            server.DataPlane.Start();
            server._control.Start();
            GatewayLog.ControlListening(logger, options.EffectiveControlSocketPath);
            if (server._metricsEndpoint is { } metrics)
            {
                metrics.Start();
                GatewayLog.MetricsListening(logger, metrics.LocalEndPoint);
            }

            server._accepting = server._listener.RunAsync(server._stopping.Token);
            server._sweeping = server.SweepLoopAsync(server._stopping.Token);
            GatewayLog.Listening(logger, server.ListenEndPoint, certificate.Certificate.Subject, certificate.NotAfter, certificate.Pin);
            return server;
        }
        catch
        {
            if (server is not null)
            {
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            else
            {
                SafeRemove(firewall, logger);
                tun.Dispose();
            }

            throw;
        }
    }

    private static readonly IPAddress MetadataService = FirewallPolicy.MetadataServices[0];

    /// <summary>
    /// Refuses (or, with <see cref="NetworkOptions.PoolOverlap"/> = Warn, logs) pools that overlap
    /// an address or route the host has before the TUN device takes them: the pool's route would
    /// pull the host's own traffic for them into the tunnel.
    /// </summary>
    public static void CheckPoolsAgainstHost(NetworkOptions network, TunnelSettings tunnel, IReadOnlyList<HostNetwork> host, ILogger logger)
    {
        if (tunnel.Pool.Contains(MetadataService) && HostNetworks.DefaultRoute(host, AddressFamily.InterNetwork, network.TunDevice) is { } defaultRoute)
        {
            // The pool's route on the TUN device is more specific than the default route, so the
            // host's own requests to the metadata service would go into the tunnel; the service
            // itself is never leased (IPv4AddressPool) and clients cannot reach it (FirewallPolicy).
            GatewayLog.PoolHoldsMetadataService(logger, tunnel.Pool.ToString(), defaultRoute.Interface);
        }

        List<string> overlaps = HostNetworks.Overlaps("Network:IPv4Pool", tunnel.Pool, host, network.TunDevice);
        if (tunnel.IPv6Pool is { } pool6)
        {
            overlaps.AddRange(HostNetworks.Overlaps("Network:IPv6Pool", pool6, host, network.TunDevice));
        }

        if (overlaps.Count == 0)
        {
            return;
        }

        if (network.PoolOverlap == PoolOverlapAction.Refuse)
        {
            throw new GatewayConfigurationException(overlaps.ConvertAll(o =>
                $"{o}: clients would get addresses the host already routes, and the host's own traffic to them would go into the tunnel. Choose another pool, or set Network:PoolOverlap to Warn."));
        }

        foreach (string overlap in overlaps)
        {
            GatewayLog.PoolOverlapsHost(logger, overlap);
        }
    }

    /// <summary>
    /// Validates <paramref name="options"/> and, when they are good, makes them the running
    /// configuration; otherwise throws <see cref="GatewayConfigurationException"/> and the running
    /// one stays. Sessions keep running either way; new connections use the new settings.
    /// </summary>
    public RunningConfiguration Apply(GatewayOptions options, string origin)
    {
        lock (_applyGate)
        {
            try
            {
                var next = Build(options, origin);
                var before = _current;
                // Rewritten only when the table changes (client-to-client, egress, routes, DNS, restrictions).
                _firewall?.Apply(FirewallPolicy.From(_tun.Name, next.Tunnel, options.Network));

                DataPlane.AllowClientToClient = options.Network.AllowClientToClient;
                _current = next;
                (before.Validator as IDisposable)?.Dispose();
                if (before.Certificate.Pin != next.Certificate.Pin || before.Certificate.Certificate.Thumbprint != next.Certificate.Certificate.Thumbprint)
                {
                    GatewayLog.CertificateReloaded(_logger, next.Certificate.Certificate.Subject, next.Certificate.NotAfter, next.Certificate.Pin);
                }

                GatewayLog.ConfigurationApplied(_logger, origin);
                return next;
            }
            catch (GatewayConfigurationException e)
            {
                GatewayLog.ConfigurationRefused(_logger, origin, string.Join(" ", e.Errors));
                throw;
            }
            catch (InvalidOperationException e)
            {
                GatewayLog.ConfigurationRefused(_logger, origin, e.Message);
                throw new GatewayConfigurationException([e.Message]);
            }
        }
    }

    /// <summary>Reads <paramref name="file"/> (default: the file the gateway started with) and applies it.</summary>
    public RunningConfiguration Reload(string? file)
    {
        string? path = file ?? ConfigurationFile;
        if (path is null)
        {
            throw new GatewayConfigurationException(["the gateway was started without a configuration file: give reload a file."]);
        }

        GatewayOptions options;
        try
        {
            options = GatewayConfigurationLoader.LoadFile(path);
        }
        catch (GatewayConfigurationException e)
        {
            GatewayLog.ConfigurationRefused(_logger, path, string.Join(" ", e.Errors));
            throw;
        }

        return Apply(options, path);
    }

    /// <summary>
    /// Stops: no new connections, every client gets TERMINATE, the PAT table is removed and the
    /// TUN device closed. Idempotent.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        _listener.Stop();
        GatewayLog.Stopping(_logger, Sessions.Count);
        await Supervisor.TerminateAllAsync();
        Dtls?.Dispose();
        await _stopping.CancelAsync();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _sweeping.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _listener.DrainAsync(TimeSpan.FromSeconds(3));
        await _control.DisposeAsync();
        if (_metricsEndpoint is not null)
        {
            await _metricsEndpoint.DisposeAsync();
        }

        DataPlane.Dispose();
        SafeRemove(_firewall, _logger);
        _tun.Dispose();
        _exposition.Dispose();
        Metrics.Dispose();
        (_current.Validator as IDisposable)?.Dispose();
        _stopping.Dispose();
    }

    private RunningConfiguration Build(GatewayOptions options, string origin)
    {
        var errors = new List<string>(GatewayOptionsValidator.Validate(options));
        var running = _current.Options;
        AddIfChanged(errors, "DataDirectory", running.DataDirectory, options.DataDirectory);
        AddIfChanged(errors, "Listener:Address", running.Listener.Address, options.Listener.Address);
        AddIfChanged(errors, "Listener:Port", running.Listener.Port, options.Listener.Port);
        AddIfChanged(errors, "Network:TunDevice", running.Network.TunDevice, options.Network.TunDevice);
        // Pools compare as networks: the agent sends the pools back as the status shows them
        // (2001:db8::/64), which need not be the spelling of the file (2001:DB8:0::/64).
        AddIfChanged(errors, "Network:IPv4Pool", AsNetwork(running.Network.IPv4Pool), AsNetwork(options.Network.IPv4Pool));
        AddIfChanged(errors, "Network:IPv6Pool", AsNetwork(running.Network.IPv6Pool), AsNetwork(options.Network.IPv6Pool));
        AddIfChanged(errors, "Network:Mtu", running.Network.Mtu, options.Network.Mtu);
        AddIfChanged(errors, "Network:ManageFirewall", running.Network.ManageFirewall, options.Network.ManageFirewall);
        AddIfChanged(errors, "Network:NftablesTable", running.Network.NftablesTable, options.Network.NftablesTable);
        AddIfChanged(errors, "Control:SocketPath", running.EffectiveControlSocketPath, options.EffectiveControlSocketPath);
        AddIfChanged(errors, "Metrics:Address", running.Metrics.Address, options.Metrics.Address);
        AddIfChanged(errors, "Udp", running.Udp, options.Udp);
        if (errors.Count > 0)
        {
            throw new GatewayConfigurationException(errors);
        }

        var certificate = ServerCertificate.Load(options.Tls, options.DataDirectory);
        return new RunningConfiguration(options, TunnelSettings.From(options), certificate, _validatorFactory(options.Auth), origin, Time.GetUtcNow());
    }

    /// <summary>DTLS on the TLS listener's address and port number, over UDP (the number clients are told in X-DTLS-Port).</summary>
    private static GatewayDtls StartDtls(GatewayServer server, GatewayOptions options, ILoggerFactory loggers, TimeProvider time)
    {
        var endPoint = new IPEndPoint(server.ListenEndPoint.Address, server.ListenEndPoint.Port);
        try
        {
            var dtls = GatewayDtls.Start(options.Udp, options.Timeouts.DpdSeconds, endPoint, server.DataPlane, server.Counters, time, loggers,
                (session, reason) => server.Supervisor.EndAsync(session, reason, notify: null));
            DtlsMetrics.Register(server.Metrics.Meter, dtls.Listener);
            return dtls;
        }
        catch (SocketException e)
        {
            throw new GatewayConfigurationException([$"Udp: cannot listen on udp/{endPoint} for DTLS: {e.Message}. Free the port, or set Udp:Enabled to false to run over TLS only."]);
        }
    }

    private static string? AsNetwork(string? text) => IPNetwork.TryParse(text, out IPNetwork network) ? network.ToString() : text;

    private static void AddIfChanged<T>(List<string> errors, string setting, T running, T next)
    {
        if (!EqualityComparer<T>.Default.Equals(running, next))
        {
            errors.Add($"{setting} cannot change while the gateway runs (running: '{running}', new: '{next}'): restart the gateway to change it.");
        }
    }

    private Task ServeAsync(Socket socket, CancellationToken stopping) =>
        ClientConnection.ServeAsync(socket, _preAuthGate, _current.Options.Limits,
            (client, pathMtu, preAuth) => new ClientConnection(this, SignIn, Sessions, Supervisor, Dtls, Metrics, client, pathMtu, preAuth, Time, _connectionLogger), stopping);

    private async Task SweepLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                await Supervisor.SweepAsync(_current.Options.Timeouts);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private static void SafeRemove(NftablesFirewall? firewall, ILogger logger)
    {
        if (firewall is null)
        {
            return;
        }

        try
        {
            firewall.Remove();
            GatewayLog.FirewallRemoved(logger, firewall.Table);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            GatewayLog.FirewallFailed(logger, e.Message);
        }
    }
}
