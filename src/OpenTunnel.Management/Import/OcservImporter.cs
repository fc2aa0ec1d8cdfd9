using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Import;

/// <summary>A per-group configuration file of ocserv (the config-per-group directory): the group is the file name.</summary>
public sealed record OcservGroupFile(string Group, string Text);

/// <summary>
/// What an ocserv configuration becomes: the server configuration, a warning for each setting
/// that has no equivalent in it, and the problems that stop the import (unreadable lines and
/// what <see cref="ServerConfigurationValidator"/> refuses), each tied to its ocserv line.
/// </summary>
public sealed record OcservImport(ServerConfiguration Configuration, IReadOnlyList<OcservNote> Warnings, IReadOnlyList<OcservNote> Errors)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>Turns an ocserv.conf (ocserv 1.1, ocserv.conf(5)) into a server configuration.</summary>
public static class OcservImporter
{
    private const string PerServer = "a per-server gateway setting, not part of a server configuration: set {0} on each server (docs/gateway.md).";
    private const string NoGroups = "OpenTunnel has no per-user network settings and no group selection: a user's groups come from the token, and the group files of config-per-group become group policies (groupPolicies).";
    private const string Process = "a setting of the ocserv process itself; the gateway's container and service handle this.";
    private const string Tls = "the gateway's TLS certificate and protocol settings are per server (docs/gateway.md), not part of a server configuration.";
    private const string SignIn = "OpenTunnel signs users in with OIDC access tokens; users and groups live in the identity provider (docs/authentication.md).";

    /// <summary>Why each known ocserv setting without an equivalent is left out; any other key gets a generic reason.</summary>
    private static readonly Dictionary<string, string> Unmapped = new(StringComparer.Ordinal)
    {
        ["mtu"] = string.Format(CultureInfo.InvariantCulture, PerServer, "Network:Mtu"),
        ["keepalive"] = string.Format(CultureInfo.InvariantCulture, PerServer, "Timeouts:KeepaliveSeconds"),
        ["dpd"] = string.Format(CultureInfo.InvariantCulture, PerServer, "Timeouts:DpdSeconds"),
        ["cookie-timeout"] = string.Format(CultureInfo.InvariantCulture, PerServer, "Timeouts:CookieTimeoutSeconds"),
        ["max-clients"] = string.Format(CultureInfo.InvariantCulture, PerServer, "Limits:MaxSessions"),
        ["max-same-clients"] = string.Format(CultureInfo.InvariantCulture, PerServer, "Limits:MaxSessionsPerUser"),
        ["max-ban-score"] = string.Format(CultureInfo.InvariantCulture, PerServer, "Limits:BanScore"),
        ["ban-reset-time"] = string.Format(CultureInfo.InvariantCulture, PerServer, "Limits:BanScoreResetSeconds"),
        ["restrict-user-to-routes"] = string.Format(CultureInfo.InvariantCulture, PerServer, "Network:RestrictToRoutes"),
        ["config-per-user"] = NoGroups,
        ["default-group-config"] = NoGroups,
        ["default-user-config"] = NoGroups,
        ["select-group"] = NoGroups,
        ["auto-select-group"] = NoGroups,
        ["default-select-group"] = NoGroups,
        ["auth"] = SignIn,
        ["enable-auth"] = SignIn,
        ["acct"] = SignIn,
        ["server-cert"] = Tls,
        ["server-key"] = Tls,
        ["ca-cert"] = Tls,
        ["dh-params"] = Tls,
        ["tls-priorities"] = Tls,
        ["cert-user-oid"] = Tls,
        ["cert-group-oid"] = Tls,
        ["crl"] = Tls,
        ["run-as-user"] = Process,
        ["run-as-group"] = Process,
        ["socket-file"] = Process,
        ["chroot-dir"] = Process,
        ["pid-file"] = Process,
        ["isolate-workers"] = Process,
        ["use-occtl"] = Process,
        ["log-level"] = Process,
        ["device"] = Process,
    };

    /// <summary>
    /// Maps <paramref name="text"/> onto a server configuration named <paramref name="name"/> and
    /// checks it with the same validator as the REST API; <paramref name="groups"/> are the files
    /// of its config-per-group directory, each made a group policy.
    /// </summary>
    public static OcservImport Import(string text, string name, IReadOnlyList<OcservGroupFile> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        (List<OcservSetting> settings, List<OcservNote> errors) = OcservConfigFile.Parse(text);
        var warnings = new List<OcservNote>();
        var configuration = new ServerConfiguration { Name = name };

        // The ocserv line each field of the configuration came from, to point the validator's findings at it.
        var lines = new Dictionary<string, OcservSetting>(StringComparer.Ordinal);
        OcservSetting? ipv4Network = null, ipv4Netmask = null, ipv6Network = null, ipv6Prefix = null, tcpPort = null, udpPort = null, idleTimeout = null;
        foreach (OcservSetting setting in settings)
        {
            switch (setting.Key)
            {
                case "ipv4-network":
                    ipv4Network = setting;
                    break;
                case "ipv4-netmask":
                    ipv4Netmask = setting;
                    break;
                case "ipv6-network":
                    ipv6Network = setting;
                    break;
                case "ipv6-prefix":
                    ipv6Prefix = setting;
                    break;
                case "ipv6-subnet-prefix" when setting.Value == "128":
                    break;
                case "ipv6-subnet-prefix":
                    warnings.Add(Note(setting, "each OpenTunnel client leases one IPv6 address (a /128), not a subnet of its own."));
                    break;
                case "tcp-port":
                    tcpPort = setting;
                    break;
                case "udp-port":
                    udpPort = setting;
                    break;
                case "dns" or "ipv4-dns" or "ipv6-dns":
                    Add(lines, "dnsServers", configuration.DnsServers, setting, setting.Value);
                    break;
                case "default-domain":
                    foreach (string domain in setting.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        Add(lines, "dnsSuffixes", configuration.DnsSuffixes, setting, domain);
                    }

                    break;
                case "split-dns":
                    Add(lines, "splitDnsDomains", configuration.SplitDnsDomains, setting, setting.Value);
                    break;
                case "route" when setting.Value.Equals("default", StringComparison.OrdinalIgnoreCase):
                    warnings.Add(Note(setting, "'default' sends all traffic through the tunnel, which is what a configuration without include routes does; left out."));
                    break;
                case "route":
                    AddRoute(lines, "includeRoutes", configuration.IncludeRoutes, setting, errors);
                    break;
                case "no-route":
                    AddRoute(lines, "excludeRoutes", configuration.ExcludeRoutes, setting, errors);
                    break;
                case "idle-timeout" when setting.Value == "0":
                    break;
                case "idle-timeout":
                    idleTimeout = setting;
                    configuration.IdleTimeoutMinutes = Minutes(setting, lines, "idleTimeoutMinutes", warnings, errors) ?? configuration.IdleTimeoutMinutes;
                    break;
                case "config-per-group" when groups.Count > 0:
                    break;
                case "config-per-group":
                    warnings.Add(Note(setting, "no group file was found in this directory: no group policy was made."));
                    break;
                case "session-timeout":
                    // ocserv: 0 means no limit.
                    int? session = Minutes(setting, lines, "sessionTimeoutMinutes", warnings, errors);
                    configuration.SessionTimeoutMinutes = session == 0 ? null : session ?? configuration.SessionTimeoutMinutes;
                    break;
                default:
                    warnings.Add(Note(setting, Unmapped.GetValueOrDefault(setting.Key, "has no equivalent in an OpenTunnel server configuration; left out.")));
                    break;
            }
        }

        // ocserv.conf(5): idle-timeout "unset to disable"; every OpenTunnel session has one.
        if (idleTimeout is null)
        {
            warnings.Add(new OcservNote(0, "idle-timeout", $"is not set (or 0), so ocserv never ended idle sessions; OpenTunnel always does: the configuration uses {configuration.IdleTimeoutMinutes} min."));
        }

        MapPool(configuration, lines, ipv4Network, ipv4Netmask, ipv6Network, ipv6Prefix, warnings, errors);
        MapPorts(configuration, lines, tcpPort, udpPort, warnings, errors);
        MapGroups(configuration, lines, settings, groups, warnings, errors);

        foreach ((string field, string[] messages) in ServerConfigurationValidator.Validate(configuration).ToDictionary())
        {
            foreach (string message in messages)
            {
                errors.Add(lines.TryGetValue(field, out OcservSetting? source)
                    ? new OcservNote(source.Line, source.Key, $"{source.Value}: {message}")
                    : new OcservNote(0, field, message));
            }
        }

        return new OcservImport(configuration, warnings, errors);
    }

    private static OcservNote Note(OcservSetting setting, string message) => new(setting.Line, setting.Key, message);

    private static void Add(Dictionary<string, OcservSetting> lines, string field, List<string> list, OcservSetting setting, string value)
    {
        lines[$"{field}[{list.Count}]"] = setting;
        list.Add(value);
    }

    /// <summary>ocserv writes a route as CIDR or as address/netmask ("10.0.0.0/255.0.0.0"); the configuration takes CIDR.</summary>
    private static void AddRoute(Dictionary<string, OcservSetting> lines, string field, List<string> routes, OcservSetting setting, List<OcservNote> errors)
    {
        string route = setting.Value;
        int slash = route.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && route[(slash + 1)..].Contains('.', StringComparison.Ordinal))
        {
            if (PrefixOfNetmask(route[(slash + 1)..]) is not { } prefix)
            {
                errors.Add(Note(setting, $"'{route[(slash + 1)..]}' is not an IPv4 netmask."));
                return;
            }

            route = $"{route[..slash]}/{prefix}";
        }

        Add(lines, field, routes, setting, route);
    }

    private static void MapPool(
        ServerConfiguration configuration,
        Dictionary<string, OcservSetting> lines,
        OcservSetting? network,
        OcservSetting? netmask,
        OcservSetting? network6,
        OcservSetting? prefix6,
        List<OcservNote> warnings,
        List<OcservNote> errors)
    {
        if (network is null)
        {
            warnings.Add(new OcservNote(0, "ipv4-network", $"is not set; the configuration uses OpenTunnel's default pool {ServerConfiguration.DefaultIpv4Range}."));
        }
        else if (network.Value.Contains('/', StringComparison.Ordinal) || netmask is null)
        {
            configuration.Ipv4Range = network.Value;
            lines["ipv4Range"] = network;
        }
        else if (PrefixOfNetmask(netmask.Value) is { } prefix)
        {
            configuration.Ipv4Range = $"{network.Value}/{prefix}";
            lines["ipv4Range"] = network;
        }
        else
        {
            errors.Add(Note(netmask, $"'{netmask.Value}' is not an IPv4 netmask."));
        }

        if (network6 is not null)
        {
            configuration.Ipv6Range = network6.Value.Contains('/', StringComparison.Ordinal) || prefix6 is null
                ? network6.Value
                : $"{network6.Value}/{prefix6.Value}";
            lines["ipv6Range"] = network6;
        }
    }

    private static void MapPorts(
        ServerConfiguration configuration, Dictionary<string, OcservSetting> lines, OcservSetting? tcp, OcservSetting? udp, List<OcservNote> warnings, List<OcservNote> errors)
    {
        if (tcp is null)
        {
            warnings.Add(new OcservNote(0, "tcp-port", $"is not set; the configuration uses port {configuration.Port}."));
        }
        else
        {
            if (int.TryParse(tcp.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int port))
            {
                configuration.Port = port;
                lines["port"] = tcp;
            }
            else
            {
                errors.Add(Note(tcp, $"'{tcp.Value}' is not a port number."));
            }
        }

        // ocserv runs DTLS only when udp-port is set; OpenTunnel always serves it on the TLS port.
        if (udp is null)
        {
            configuration.UdpDisabled = true;
            warnings.Add(new OcservNote(0, "udp-port", "is not set, so ocserv offered no DTLS: the configuration turns UDP off (udpDisabled)."));
        }
        else if (udp.Value != configuration.Port.ToString(CultureInfo.InvariantCulture))
        {
            warnings.Add(Note(udp, $"OpenTunnel serves DTLS on the same port as TLS ({configuration.Port}), not on {udp.Value}."));
        }
    }

    /// <summary>ocserv's timeouts are in seconds; the configuration's in whole minutes, rounded up.</summary>
    private static int? Minutes(OcservSetting setting, Dictionary<string, OcservSetting> lines, string field, List<OcservNote> warnings, List<OcservNote> errors)
    {
        if (!int.TryParse(setting.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds))
        {
            errors.Add(Note(setting, $"'{setting.Value}' is not a number of seconds."));
            return null;
        }

        int minutes = (seconds + 59) / 60;
        if (seconds % 60 != 0)
        {
            warnings.Add(Note(setting, $"{seconds} s is rounded up to {minutes} min."));
        }

        lines[field] = setting;
        return minutes;
    }

    /// <summary>
    /// Each group file becomes a group policy of its routes, DNS servers and first default domain.
    /// As in ocserv, a group that sets routes has those instead of the main file's (route = default:
    /// all traffic); one that sets none keeps the main file's. Notes and errors name the group and
    /// its file's line; other keys of a group file are left out with a warning.
    /// </summary>
    private static void MapGroups(
        ServerConfiguration configuration, Dictionary<string, OcservSetting> lines, List<OcservSetting> settings, IReadOnlyList<OcservGroupFile> groups, List<OcservNote> warnings, List<OcservNote> errors)
    {
        OcservSetting? directory = settings.LastOrDefault(s => s.Key == "config-per-group");
        var policies = new List<GroupPolicySettings>();
        foreach (OcservGroupFile group in groups)
        {
            (List<OcservSetting> keys, List<OcservNote> problems) = OcservConfigFile.Parse(group.Text);
            string prefix = $"groupPolicies[{policies.Count}]";
            List<string> include = [], exclude = [], dns = [];
            string? suffix = null;
            bool routes = false;
            foreach (OcservNote problem in problems)
            {
                errors.Add(problem with { Key = $"group '{group.Group}': {problem.Key}" });
            }

            foreach (OcservSetting key in keys)
            {
                OcservSetting named = key with { Key = $"group '{group.Group}': {key.Key}" };
                switch (key.Key)
                {
                    case "route" when key.Value.Equals("default", StringComparison.OrdinalIgnoreCase):
                        routes = true;
                        break;
                    case "route":
                        routes = true;
                        AddRoute(lines, $"{prefix}.includeRoutes", include, named, errors);
                        break;
                    case "no-route":
                        routes = true;
                        AddRoute(lines, $"{prefix}.excludeRoutes", exclude, named, errors);
                        break;
                    case "dns" or "ipv4-dns" or "ipv6-dns":
                        Add(lines, $"{prefix}.dnsServers", dns, named, key.Value);
                        break;
                    case "default-domain":
                        suffix ??= key.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                        lines[$"{prefix}.dnsSuffix"] = named;
                        break;
                    default:
                        warnings.Add(Note(named, "only route, no-route, dns and default-domain of a group file become its group policy; left out."));
                        break;
                }
            }

            if (!routes && dns.Count == 0 && suffix is null)
            {
                warnings.Add(new OcservNote(directory?.Line ?? 0, "config-per-group", $"group '{group.Group}' sets no route, DNS server or domain: no group policy was made for it."));
                continue;
            }

            policies.Add(new GroupPolicySettings(group.Group, include, exclude, ReplaceRoutes: routes, dns, suffix));
        }

        configuration.GroupPolicies = policies.Count > 0 ? policies : null;
    }

    /// <summary>The prefix length of a contiguous IPv4 netmask ("255.255.255.0" → 24), else null.</summary>
    private static int? PrefixOfNetmask(string text)
    {
        if (!IPAddress.TryParse(text, out IPAddress? mask) || mask.AddressFamily != AddressFamily.InterNetwork)
        {
            return null;
        }

        uint bits = BitConverter.ToUInt32([.. mask.GetAddressBytes().Reverse()]);
        int prefix = System.Numerics.BitOperations.PopCount(bits);
        return prefix == 0 ? 0 : bits == uint.MaxValue << (32 - prefix) ? prefix : null;
    }
}
