using System.Net;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Connections;
using OpenTunnel.Gateway.Sessions;

namespace OpenTunnel.Gateway.Control;

/// <summary>What the control commands need of the running gateway beyond its sessions: its configuration (to show, reload or replace) and where it listens.</summary>
public interface IGatewayHost : IRunningConfiguration
{
    DateTimeOffset StartedAt { get; }

    IPEndPoint ListenEndPoint { get; }

    /// <summary>The metrics endpoint, or null when Metrics:Address is empty.</summary>
    IPEndPoint? MetricsEndPoint { get; }

    /// <summary>The DTLS side, or null when Udp:Enabled is false.</summary>
    GatewayDtls? Dtls { get; }

    /// <summary>Reads <paramref name="file"/> (default: the file the gateway started with) and applies it; throws <see cref="GatewayConfigurationException"/> and keeps the running one when it is bad.</summary>
    RunningConfiguration Reload(string? file);

    /// <summary>Makes <paramref name="options"/> the running configuration when they are good; throws <see cref="GatewayConfigurationException"/> otherwise.</summary>
    RunningConfiguration Apply(GatewayOptions options, string origin);
}
