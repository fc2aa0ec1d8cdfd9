using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Connections;
using OpenTunnel.Gateway.Firewall;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Tls;

namespace OpenTunnel.Gateway.Hosting;

/// <summary>
/// The checks and preparation before the gateway touches the host's network: the configuration
/// is valid, the data directory exists, the certificate is there (generated when none is
/// configured), and the pools do not take addresses the host already routes.
/// </summary>
public static class GatewayStartup
{
    private static readonly IPAddress MetadataService = FirewallPolicy.MetadataServices[0];

    /// <summary>
    /// The first running configuration, from <paramref name="options"/>. Throws
    /// <see cref="GatewayConfigurationException"/> with a message a person can act on.
    /// </summary>
    public static RunningConfiguration Prepare(GatewayOptions options, string? configurationFile, Func<AuthOptions, IAccessTokenValidator> validatorFactory, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(validatorFactory);
        ArgumentNullException.ThrowIfNull(time);
        var errors = GatewayOptionsValidator.Validate(options);
        if (errors.Count > 0)
        {
            throw new GatewayConfigurationException(errors);
        }

        Directory.CreateDirectory(options.DataDirectory);
        var certificate = ServerCertificate.Load(options.Tls, options.DataDirectory, time.GetUtcNow());
        GatewayConfiguration.PrepareCertificate(certificate, logger);

        var tunnel = TunnelSettings.From(options);
        CheckPoolsAgainstHost(options.Network, tunnel, HostNetworks.Read(), logger);
        return new RunningConfiguration(options, tunnel, certificate, validatorFactory(options.Auth), configurationFile ?? "the command line", time.GetUtcNow());
    }

    /// <summary>
    /// Refuses (or, with <see cref="NetworkOptions.PoolOverlap"/> = Warn, logs) pools that overlap
    /// an address or route the host has before the TUN device takes them: the pool's route would
    /// pull the host's own traffic for them into the tunnel.
    /// </summary>
    public static void CheckPoolsAgainstHost(NetworkOptions network, TunnelSettings tunnel, IReadOnlyList<HostNetwork> host, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(tunnel);
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
}
