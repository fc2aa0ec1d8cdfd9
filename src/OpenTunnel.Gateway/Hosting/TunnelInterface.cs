using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Firewall;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Platform.Linux.Tun;

namespace OpenTunnel.Gateway.Hosting;

/// <summary>
/// What the gateway adds to the host's network: the TUN device with the pools' gateway addresses,
/// and, with <c>Network:ManageFirewall</c>, the nftables table. Made before any client can connect;
/// disposed after every session ended and the data plane stopped, when the table is removed and
/// the device closed.
/// </summary>
public sealed class TunnelInterface : IDisposable
{
    private readonly SessionFirewall? _firewall;
    private readonly ILogger _logger;
    private int _disposed;

    private TunnelInterface(TunDevice device, SessionFirewall? firewall, ILogger logger)
    {
        Device = device;
        _firewall = firewall;
        _logger = logger;
    }

    public TunDevice Device { get; }

    /// <summary>The per-session rules of the nftables table (Network:GroupPolicies); null without <c>Network:ManageFirewall</c>.</summary>
    public ISessionFirewall? Sessions => _firewall;

    /// <summary>
    /// Creates the TUN device named by <c>Network:TunDevice</c>, gives it the pools' gateway
    /// addresses and the MTU, brings it up and installs the nftables table. Throws
    /// <see cref="TunDeviceException"/> or, when nft refuses, <see cref="InvalidOperationException"/>;
    /// nothing is left behind then.
    /// </summary>
    public static TunnelInterface Open(GatewayOptions options, TunnelSettings tunnel, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tunnel);
        var tun = TunDevice.Create(options.Network.TunDevice, offload: options.Network.TunOffload);
        SessionFirewall? firewall = null;
        try
        {
            var gatewayAddress = IPv4AddressPool.ToAddress(new IPv4AddressPool(tunnel.Pool).GatewayAddress);
            tun.SetIPv4Address(gatewayAddress, tunnel.Pool.PrefixLength);
            tun.SetMtu(tunnel.TunMtu);
            tun.SetQueueLength(options.Network.TunQueueLength);
            tun.SetUp();
            GatewayLog.TunUp(logger, tun.Name, gatewayAddress, tunnel.Pool.PrefixLength, tunnel.TunMtu);
            if (options.Network.TunOffload && !tun.Offloads)
            {
                GatewayLog.TunOffloadRefused(logger, tun.Name);
            }

            if (tunnel.IPv6Pool is { } pool6)
            {
                var gatewayAddress6 = new IPv6AddressPool(pool6).GatewayAddress.ToAddress();
                tun.SetIPv6Address(gatewayAddress6, pool6.PrefixLength);
                GatewayLog.TunUp(logger, tun.Name, gatewayAddress6, pool6.PrefixLength, tunnel.TunMtu);
            }

            if (options.Network.ManageFirewall)
            {
                firewall = new SessionFirewall(new NftablesFirewall(options.Network.NftablesTable, Path.Combine(options.DataDirectory, "forwarding-before")), tun.Name, tunnel, options.Network);
                firewall.Apply(tunnel, options.Network);
                GatewayLog.FirewallInstalled(logger, options.Network.NftablesTable, tunnel.Pool.ToString());
            }

            return new TunnelInterface(tun, firewall, logger);
        }
        catch
        {
            SafeRemove(firewall?.Table, logger);
            tun.Dispose();
            throw;
        }
    }

    /// <summary>Rewrites the nftables table for a new configuration (only when the table changes); does nothing without <c>Network:ManageFirewall</c>.</summary>
    public void Apply(TunnelSettings tunnel, NetworkOptions network) =>
        _firewall?.Apply(tunnel, network);

    /// <summary>Removes the nftables table and closes the TUN device; idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        SafeRemove(_firewall?.Table, _logger);
        Device.Dispose();
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
