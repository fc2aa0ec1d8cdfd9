using System.Text.Json.Nodes;
using OpenTunnel.Agent.Protocol;
using static OpenTunnel.Gateway.Contracts.Configuration.GatewayConfigurationDocument;

namespace OpenTunnel.Agent.Configuration;

/// <summary>
/// Turns the site's effective configuration into the gateway's configuration document: the
/// gateway's own file stays the base (listener address, TLS certificate, data directory, TUN
/// device, firewall, control and metrics settings are the server's), and the managed settings
/// are written over it, with the document's rules of
/// <see cref="OpenTunnel.Gateway.Contracts.Configuration.GatewayConfigurationDocument"/>.
/// </summary>
public static class GatewayConfigurationMerge
{
    /// <summary>The merged document and what the administrator should know about it.</summary>
    public sealed record Result(JsonObject Document, IReadOnlyList<string> Notes);

    public static Result Merge(JsonObject gatewayFile, EffectiveConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(gatewayFile);
        ArgumentNullException.ThrowIfNull(configuration);
        var document = (JsonObject)gatewayFile.DeepClone();
        var notes = new List<string>();
        TunnelConfiguration tunnel = configuration.Tunnel;

        JsonObject listener = Section(document, "Listener");
        Set(listener, "Port", tunnel.Port);

        JsonObject network = Section(document, "Network");
        Set(network, "IPv4Pool", tunnel.Ipv4Range);

        // A site without an IPv6 range gives clients IPv4 only, whatever the server's own file said.
        Set(network, "IPv6Pool", tunnel.Ipv6Range);
        Set(network, "DnsServers", Array(tunnel.DnsServers));
        Set(network, "DefaultDomain", tunnel.DnsSuffixes.Count > 0 ? tunnel.DnsSuffixes[0] : null);
        Set(network, "SplitDns", Array(tunnel.SplitDnsDomains));
        Set(network, "SplitInclude", Array(tunnel.IncludeRoutes));
        Set(network, "SplitExclude", Array(tunnel.ExcludeRoutes));
        Set(network, "AllowClientToClient", tunnel.AllowClientToClient);

        // The site's group policies replace any of the server's own file; none clears them.
        var groups = new JsonArray();
        foreach (GroupPolicyConfiguration group in tunnel.GroupPolicies ?? [])
        {
            groups.Add(new JsonObject
            {
                ["Group"] = group.Group,
                ["SplitInclude"] = Array(group.IncludeRoutes),
                ["SplitExclude"] = Array(group.ExcludeRoutes),
                ["ReplaceRoutes"] = group.ReplaceRoutes,
                ["DnsServers"] = Array(group.DnsServers),
                ["DefaultDomain"] = group.DnsSuffix,
            });
        }

        Set(network, "GroupPolicies", groups);

        // Likewise the access of unmanaged devices: the site's, or none (such tokens are refused).
        Set(network, "UnmanagedAccess", tunnel.UnmanagedAccess is { } unmanaged
            ? new JsonObject
            {
                ["SplitInclude"] = Array(unmanaged.IncludeRoutes),
                ["DnsServers"] = Array(unmanaged.DnsServers),
                ["DefaultDomain"] = unmanaged.DnsSuffix,
            }
            : null);
        if (tunnel.DnsSuffixes.Count > 1)
        {
            // The OpenConnect protocol carries one default domain (X-CSTP-Default-Domain; ocserv's default-domain).
            notes.Add($"Only the first DNS suffix ({tunnel.DnsSuffixes[0]}) is given to clients; the gateway sends one default domain.");
        }

        // DTLS over UDP; Microsoft Tunnel's "disable UDP", ocserv's udp-port = 0.
        Set(Section(document, "Udp"), "Enabled", !tunnel.UdpDisabled);

        JsonObject timeouts = Section(document, "Timeouts");
        Set(timeouts, "IdleTimeoutSeconds", tunnel.IdleTimeoutMinutes * 60);
        Set(timeouts, "SessionTimeoutSeconds", (tunnel.SessionTimeoutMinutes ?? 0) * 60);

        if (configuration.Auth is { } auth)
        {
            JsonObject section = Section(document, "Auth");
            Set(section, "Issuer", auth.Issuer);
            Set(section, "Audience", auth.Audience);
            Set(section, "MetadataAddress", auth.MetadataAddress);
            Set(section, "RequireHttpsMetadata", auth.RequireHttpsMetadata);

            // Keys come from the issuer's discovery document now, not from a local file.
            Set(section, "JwksFile", null);
            var claims = new JsonArray();
            foreach (RequiredClaimConfiguration claim in auth.RequiredClaims)
            {
                claims.Add(new JsonObject { ["Claim"] = claim.Claim, ["AnyOf"] = Array(claim.AnyOf) });
            }

            Set(section, "RequiredClaims", claims);
            Set(section, "RequiredSite", auth.RequiredSite);
            Set(section, "ValidTypes", auth.ValidTypes is null ? null : Array(auth.ValidTypes));

            // The pushed pin is the trust for the pushed issuer and replaces a CA file of the
            // server's own (the gateway takes one of the two). Without a pin the issuer is trusted
            // as the server's file says (a CA file of its own, or the system's trust store); a pin
            // pushed earlier for another issuer does not stay.
            Set(section, "CaPin", auth.CaPin);
            if (auth.CaPin is not null)
            {
                Set(section, "CaFile", null);
            }
        }

        if (configuration.LoadBalancing is { } balancing)
        {
            // The whole section is the site's: the mode, the threshold and the peer list the
            // management service published (load-aware sign-in, docs/gateway.md).
            var peers = new JsonArray();
            foreach (PeerConfiguration peer in balancing.Peers)
            {
                peers.Add(new JsonObject
                {
                    ["Address"] = peer.Address,
                    ["Sessions"] = peer.Sessions,
                    ["CpuPercent"] = peer.CpuPercent,
                    ["Healthy"] = peer.Healthy,
                    ["Draining"] = peer.Draining,
                    ["ReportedAt"] = new DateTimeOffset(DateTime.SpecifyKind(peer.ReportedAt, DateTimeKind.Utc)).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                });
            }

            JsonObject section = Section(document, "LoadBalancing");
            Set(section, "Mode", string.Equals(balancing.Mode, "redirect", StringComparison.OrdinalIgnoreCase) ? "Redirect" : "Off");
            Set(section, "ThresholdPercent", balancing.ThresholdPercent);
            Set(section, "Peers", peers);
        }

        return new Result(document, notes);
    }
}
