using System.Globalization;
using System.Text.Json.Nodes;
using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Agent.Configuration;

/// <summary>
/// Turns the site's effective configuration into the gateway's configuration document: the
/// gateway's own file stays the base (listener address, TLS certificate, data directory, TUN
/// device, firewall, control and metrics settings are the server's), and the managed settings
/// are written over it. Keys are matched without regard to case, as the gateway's configuration
/// reader does, so a base file written in camelCase is not given a second key.
/// </summary>
public static class GatewayConfigurationDocument
{
    /// <summary>The settings of the running gateway that change only at a restart, from its status.</summary>
    public sealed record RunningGateway(int Port, string Pool, bool UdpEnabled);

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
        Set(network, "DnsServers", Array(tunnel.DnsServers));
        Set(network, "DefaultDomain", tunnel.DnsSuffixes.Count > 0 ? tunnel.DnsSuffixes[0] : null);
        Set(network, "SplitDns", Array(tunnel.SplitDnsDomains));
        Set(network, "SplitInclude", Array(tunnel.IncludeRoutes));
        Set(network, "SplitExclude", Array(tunnel.ExcludeRoutes));
        Set(network, "AllowClientToClient", tunnel.AllowClientToClient);
        if (tunnel.DnsSuffixes.Count > 1)
        {
            // The OpenConnect protocol carries one default domain (X-CSTP-Default-Domain; ocserv's default-domain).
            notes.Add($"Only the first DNS suffix ({tunnel.DnsSuffixes[0]}) is given to clients; the gateway sends one default domain.");
        }

        if (tunnel.Ipv6Range is not null)
        {
            notes.Add($"The IPv6 range {tunnel.Ipv6Range} is not applied: this gateway leases IPv4 addresses only.");
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
        }

        return new Result(document, notes);
    }

    /// <summary>
    /// The document with the listener port, address pool and DTLS switch the running gateway
    /// has: these change only at a restart, so a running gateway refuses a document that changes
    /// them. The rest applies at once; the full document is kept for the next start.
    /// </summary>
    public static JsonObject WithRunningRestartSettings(JsonObject document, RunningGateway running)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(running);
        var live = (JsonObject)document.DeepClone();
        Set(Section(live, "Listener"), "Port", running.Port);
        Set(Section(live, "Network"), "IPv4Pool", running.Pool);
        Set(Section(live, "Udp"), "Enabled", running.UdpEnabled);
        return live;
    }

    /// <summary>What differs between the running gateway and <paramref name="document"/> among the settings that need a restart; empty when nothing does.</summary>
    public static List<string> PendingRestart(JsonObject document, RunningGateway running)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(running);
        (int runningPort, string runningPool) = (running.Port, running.Pool);
        var pending = new List<string>();
        if (Get(Section(document, "Listener"), "Port")?.GetValue<int>() is { } port && port != runningPort)
        {
            pending.Add(string.Create(CultureInfo.InvariantCulture, $"Listener:Port {runningPort} → {port}"));
        }

        if (Get(Section(document, "Network"), "IPv4Pool")?.GetValue<string>() is { } pool && !SameNetwork(pool, runningPool))
        {
            pending.Add($"Network:IPv4Pool {runningPool} → {pool}");
        }

        if (Get(Section(document, "Udp"), "Enabled")?.GetValue<bool>() is { } udp && udp != running.UdpEnabled)
        {
            pending.Add($"Udp:Enabled {(running.UdpEnabled ? "true" : "false")} → {(udp ? "true" : "false")}");
        }

        return pending;
    }

    private static bool SameNetwork(string a, string b) =>
        System.Net.IPNetwork.TryParse(a, out System.Net.IPNetwork x) && System.Net.IPNetwork.TryParse(b, out System.Net.IPNetwork y)
            ? x.Equals(y)
            : string.Equals(a, b, StringComparison.Ordinal);

    private static JsonObject Section(JsonObject document, string name)
    {
        if (Get(document, name) is JsonObject existing)
        {
            return existing;
        }

        var section = new JsonObject();
        Set(document, name, section);
        return section;
    }

    private static JsonNode? Get(JsonObject section, string name)
    {
        foreach (KeyValuePair<string, JsonNode?> property in section)
        {
            if (string.Equals(property.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    /// <summary>Sets <paramref name="name"/>, replacing a key of any case; null removes it.</summary>
    private static void Set(JsonObject section, string name, JsonNode? value)
    {
        string? existing = null;
        foreach (KeyValuePair<string, JsonNode?> property in section)
        {
            if (string.Equals(property.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                existing = property.Key;
                break;
            }
        }

        if (existing is not null)
        {
            section.Remove(existing);
        }

        if (value is not null)
        {
            section[name] = value;
        }
    }

    private static JsonArray Array(IReadOnlyList<string> values)
    {
        var array = new JsonArray();
        foreach (string value in values)
        {
            array.Add(value);
        }

        return array;
    }
}
