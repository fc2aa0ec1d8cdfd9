using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Connections;
using OpenTunnel.Gateway.DataPlane;
using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.SignIn;
using OpenTunnel.Gateway.Tests.Auth;
using OpenTunnel.Gateway.Tests.DataPlane;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Protocol.Streams;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Connections;

/// <summary>
/// The gateway's TLS core and data plane as the host wires them, over in-memory streams and an
/// in-memory packet device: real TLS, real token validation, real sessions, no root and no sockets.
/// </summary>
internal sealed class InMemoryGateway : IRunningConfiguration, IAsyncDisposable
{
    public const string Pool = "198.18.128.0/24";

    private readonly TemporaryDirectory _directory = new();
    private readonly List<Task> _connections = [];
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>This gateway's meter factory, as its host's container would hold it: another gateway in the process has its own meter.</summary>
    private readonly ServiceProvider _meters = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public InMemoryGateway(TokenIssuerFixture issuers, LimitOptions? limits = null, TimeProvider? time = null, LoadBalancingOptions? loadBalancing = null)
    {
        Time = time ?? TimeProvider.System;
        var options = new GatewayOptions
        {
            DataDirectory = _directory.Path,
            Network = new NetworkOptions { IPv4Pool = Pool, SplitInclude = ["198.18.2.0/24"], DnsServers = ["198.18.2.53"] },
            Auth = new AuthOptions { Issuer = TokenIssuerFixture.IssuerName, Audience = TokenIssuerFixture.Audience, JwksFile = issuers.Ec.JwksPath },
            Limits = limits ?? new LimitOptions(),
            LoadBalancing = loadBalancing ?? new LoadBalancingOptions(),
        };
        var validator = JwtAccessTokenValidator.Create(options.Auth, NullLoggerFactory.Instance);
        Current = new RunningConfiguration(options, TunnelSettings.From(options), ServerCertificate.Load(options.Tls, options.DataDirectory, Time.GetUtcNow()), validator, "test", Time.GetUtcNow());
        AddressPool = new IPv4AddressPool(IPNetwork.Parse(Pool));
        Metrics = new GatewayMetrics(_meters.GetRequiredService<IMeterFactory>(), Sessions, Counters);
        DataPlane = new TunDataPlane(Device, Current.Tunnel.TunMtu, AddressPool, null, Counters, Time, NullLogger.Instance);
        Supervisor = new SessionSupervisor(Sessions, AddressPool, null, DataPlane, Counters, Time, NullLogger.Instance);
        SignIn = new SignInService(Sessions, new AuthRateLimiter(Time), new AccessRevocations(Time), new BanList(Time), Metrics, Time, NullLogger.Instance);
        Gate = new PreAuthGate(new PreAuthBudget(), SignIn.Bans, Metrics, Time, NullLogger.Instance);
    }

    public RunningConfiguration Current { get; }

    public TimeProvider Time { get; }

    public InMemoryPacketDevice Device { get; } = new();

    public IPv4AddressPool AddressPool { get; }

    public PacketCounters Counters { get; } = new();

    public SessionTable Sessions { get; } = new();

    public GatewayMetrics Metrics { get; }

    public TunDataPlane DataPlane { get; }

    public SessionSupervisor Supervisor { get; }

    public SignInService SignIn { get; }

    /// <summary>The accept-time checks (bans, pre-authentication budget) every <see cref="Connect"/> passes, as the listener's.</summary>
    public PreAuthGate Gate { get; }

    /// <summary>Puts <paramref name="packet"/> into the device as the host would route it, and lets the data plane send it on at once.</summary>
    public void FromHost(byte[] packet)
    {
        Device.Inject(packet);
        DataPlane.DrainNow();
    }

    /// <summary>The DTLS side, once <see cref="StartDtls"/> ran; CONNECT answers offer DTLS from then on.</summary>
    public GatewayDtls? Dtls { get; private set; }

    /// <summary>Starts the DTLS listener on a free loopback UDP port, as the host does on the TLS port number.</summary>
    public GatewayDtls StartDtls() =>
        Dtls = GatewayDtls.Start(new Gateway.Dtls.DtlsOptions(), Current.Options.Timeouts.DpdSeconds, new IPEndPoint(IPAddress.Loopback, 0), DataPlane, Counters, Time,
            NullLoggerFactory.Instance, (session, reason) => Supervisor.EndAsync(session, reason, notify: null));

    /// <summary>
    /// Serves one client connection in the background and returns the client's end of it; when
    /// <see cref="Gate"/> refuses the client, as the listener does, the server end is closed at once.
    /// </summary>
    public InMemoryDuplexStream Connect(string client = "198.18.1.2:40000")
    {
        var (clientEnd, serverEnd) = InMemoryDuplexStream.CreatePair();
        var endPoint = IPEndPoint.Parse(client);
        if (Gate.TryAdmit(endPoint.Address, Current.Options.Limits) is not { } preAuth)
        {
            serverEnd.Dispose();
            return clientEnd;
        }

        var connection = new ClientConnection(this, SignIn, Sessions, Supervisor, Dtls, Metrics, endPoint, new TcpPath(() => 1500, () => null, () => null), preAuth, Time, NullLogger.Instance);
        lock (_connections)
        {
            _connections.Add(Task.Run(() => connection.RunAsync(new CoalescingStream(serverEnd), _stopping.Token)));
        }

        return clientEnd;
    }

    public async ValueTask DisposeAsync()
    {
        await Supervisor.TerminateAllAsync();
        Dtls?.Dispose();
        await _stopping.CancelAsync();
        Task[] running;
        lock (_connections)
        {
            running = [.. _connections];
        }

        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        DataPlane.Dispose();
        await _meters.DisposeAsync();
        (Current.Validator as IDisposable)?.Dispose();
        _stopping.Dispose();
        _directory.Dispose();
    }
}
