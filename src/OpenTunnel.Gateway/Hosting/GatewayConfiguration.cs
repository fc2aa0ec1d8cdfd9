using System.Net;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Connections;
using OpenTunnel.Gateway.DataPlane;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Tls;

namespace OpenTunnel.Gateway.Hosting;

/// <summary>
/// The configuration in force. <see cref="Apply"/> swaps in a new one atomically after validating
/// it; sessions keep running and new connections use it. Settings that need a restart (listener,
/// TUN device, pools, firewall ownership, data directory, control and metrics addresses, UDP) are
/// refused with a message naming them.
/// </summary>
public sealed class GatewayConfiguration : IRunningConfiguration, IDisposable
{
    /// <summary>How long a certificate's handshake with itself may take (<see cref="PrepareCertificate"/>); it takes milliseconds.</summary>
    private static readonly TimeSpan SecretsWatchTimeout = TimeSpan.FromSeconds(10);

    private readonly Func<AuthOptions, IAccessTokenValidator> _validatorFactory;
    private readonly TunnelInterface _tunnel;
    private readonly TunDataPlane _dataPlane;
    private readonly ServiceManagerNotifier _serviceManager;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _applyGate = new();
    private volatile RunningConfiguration _current;

    public GatewayConfiguration(RunningConfiguration initial, string? configurationFile, Func<AuthOptions, IAccessTokenValidator> validatorFactory, TunnelInterface tunnel,
        TunDataPlane dataPlane, ServiceManagerNotifier serviceManager, TimeProvider time, ILogger logger)
    {
        _current = initial;
        ConfigurationFile = configurationFile;
        _validatorFactory = validatorFactory;
        _tunnel = tunnel;
        _dataPlane = dataPlane;
        _serviceManager = serviceManager;
        _time = time;
        _logger = logger;
    }

    public RunningConfiguration Current => _current;

    /// <summary>The configuration file reload reads when given none; null when the gateway started without one.</summary>
    public string? ConfigurationFile { get; }

    /// <summary>
    /// Validates <paramref name="options"/> and, when they are good, makes them the running
    /// configuration; otherwise throws <see cref="GatewayConfigurationException"/> and the running
    /// one stays. Sessions keep running either way; new connections use the new settings.
    /// </summary>
    public RunningConfiguration Apply(GatewayOptions options, string origin)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_applyGate)
        {
            _serviceManager.Reloading();
            try
            {
                var next = Build(options, origin);
                var before = _current;
                // Rewritten only when the table changes (client-to-client, egress, routes, DNS, restrictions).
                _tunnel.Apply(next.Tunnel, options.Network);

                _dataPlane.AllowClientToClient = options.Network.AllowClientToClient;
                _dataPlane.TlsWindowClamp = options.Network.TlsWindowClamp;
                _dataPlane.DtlsWindowClamp = options.Network.DtlsWindowClamp;
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
            finally
            {
                // Applied or refused, the gateway runs on (with the old configuration when refused).
                _serviceManager.Ready();
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
    /// What SIGHUP does (the classic daemon convention, as <c>systemctl kill -s HUP</c> or
    /// <c>kill -HUP</c> send it): the file the gateway started with is read again and applied,
    /// the same as the control socket's <c>reload</c>; success and refusal are logged (500, 501).
    /// </summary>
    public void ReloadOnHangup()
    {
        if (ConfigurationFile is null)
        {
            GatewayLog.HangupWithoutFile(_logger);
            return;
        }

        try
        {
            Reload(null);
        }
        catch (GatewayConfigurationException)
        {
            // Logged by Reload or Apply; the running configuration stays.
        }
    }

    /// <summary>Disposes the token validator in force (its key refresh).</summary>
    public void Dispose() => (_current.Validator as IDisposable)?.Dispose();

    private RunningConfiguration Build(GatewayOptions options, string origin)
    {
        var errors = new List<string>(GatewayOptionsValidator.Validate(options));
        var running = _current.Options;
        AddIfChanged(errors, "DataDirectory", running.DataDirectory, options.DataDirectory);
        AddIfChanged(errors, "Log:Format", running.Log.Format, options.Log.Format);
        AddIfChanged(errors, "Listener:Address", running.Listener.Address, options.Listener.Address);
        AddIfChanged(errors, "Listener:Port", running.Listener.Port, options.Listener.Port);
        AddIfChanged(errors, "Network:TunDevice", running.Network.TunDevice, options.Network.TunDevice);
        // Pools compare as networks: the agent sends the pools back as the status shows them
        // (2001:db8::/64), which need not be the spelling of the file (2001:DB8:0::/64).
        AddIfChanged(errors, "Network:IPv4Pool", AsNetwork(running.Network.IPv4Pool), AsNetwork(options.Network.IPv4Pool));
        AddIfChanged(errors, "Network:IPv6Pool", AsNetwork(running.Network.IPv6Pool), AsNetwork(options.Network.IPv6Pool));
        AddIfChanged(errors, "Network:Mtu", running.Network.Mtu, options.Network.Mtu);
        AddIfChanged(errors, "Network:TunOffload", running.Network.TunOffload, options.Network.TunOffload);
        AddIfChanged(errors, "Network:TunQueueLength", running.Network.TunQueueLength, options.Network.TunQueueLength);
        AddIfChanged(errors, "Network:ManageFirewall", running.Network.ManageFirewall, options.Network.ManageFirewall);
        AddIfChanged(errors, "Network:NftablesTable", running.Network.NftablesTable, options.Network.NftablesTable);
        AddIfChanged(errors, "Control:SocketPath", running.EffectiveControlSocketPath, options.EffectiveControlSocketPath);
        AddIfChanged(errors, "Metrics:Address", running.Metrics.Address, options.Metrics.Address);
        AddIfChanged(errors, "Udp", running.Udp, options.Udp);
        if (errors.Count > 0)
        {
            throw new GatewayConfigurationException(errors);
        }

        var certificate = ServerCertificate.Load(options.Tls, options.DataDirectory, _time.GetUtcNow());
        PrepareCertificate(certificate, _logger);
        return new RunningConfiguration(options, TunnelSettings.From(options), certificate, _validatorFactory(options.Auth), origin, _time.GetUtcNow());
    }

    /// <summary>
    /// Readies a certificate just loaded for the listener: logs a self-signed certificate made or
    /// renewed by this load, and has its connections hand their TLS secrets over from the first one
    /// on (<see cref="ServerCertificate.WatchSecrets"/>).
    /// </summary>
    internal static void PrepareCertificate(ServerCertificate certificate, ILogger logger)
    {
        if (!certificate.WatchSecrets(SecretsWatchTimeout, out string? why))
        {
            GatewayLog.CertificateSecretsNotWatched(logger, why!);
        }

        if (certificate.Generated)
        {
            GatewayLog.SelfSignedCertificate(logger, certificate.Source, certificate.Pin);
        }
        else if (certificate.RenewedFrom is { } oldNotAfter)
        {
            GatewayLog.SelfSignedCertificateRenewed(logger, certificate.Source, oldNotAfter, certificate.Pin, certificate.NotAfter);
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
}
