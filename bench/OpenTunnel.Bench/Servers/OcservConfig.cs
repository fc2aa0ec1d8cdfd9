using System.Globalization;
using System.Net;
using OpenTunnel.Bench.Network;

namespace OpenTunnel.Bench.Servers;

/// <summary>
/// ocserv.conf for the benchmark: Debian 12's shipped configuration with the changes a
/// benchmark in namespaces needs, each marked below. Pure text, so it can be checked in tests.
/// </summary>
internal static class OcservConfig
{
    /// <summary>Debian 12's shipped tls-priorities (TLS 1.3 disabled); kept so ocserv runs as packaged.</summary>
    public const string DebianTlsPriorities = "NORMAL:%SERVER_PRECEDENCE:%COMPAT:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-TLS1.3";

    public static string Render(OcservFiles files, string listenAddress, int port, string tunPrefix, ServerSettings settings, string runAsUser, string runAsGroup)
    {
        string netmask = PrefixToNetmask(settings.PoolPrefixLength);
        return string.Create(CultureInfo.InvariantCulture, $"""
            auth = "plain[passwd={files.PasswordFile}]"
            # bench: the client-facing address only, the same port as OpenTunnel
            listen-host = {listenAddress}
            tcp-port = {port}
            udp-port = {port}
            run-as-user = {runAsUser}
            run-as-group = {runAsGroup}
            # bench: runtime files in the run's folder, no chroot
            socket-file = {files.SocketFile}
            occtl-socket-file = {files.OcctlSocketFile}
            pid-file = {files.PidFile}
            server-cert = {files.Certificate.CertificatePath}
            server-key = {files.Certificate.KeyPath}
            isolate-workers = true
            # bench: room for the session-scale run
            max-clients = {settings.MaxSessions + 16}
            # bench: one user signs in many times at once, and no IP is ever banned
            max-same-clients = 0
            max-ban-score = 0
            # bench: no pacing of new connections (Debian ships 100 ms), so the sign-in rate is ocserv's own
            rate-limit-ms = 0
            server-stats-reset-time = 604800
            keepalive = 32400
            dpd = 90
            mobile-dpd = 1800
            switch-to-tcp-timeout = 25
            try-mtu-discovery = false
            cert-user-oid = 0.9.2342.19200300.100.1.1
            tls-priorities = "{DebianTlsPriorities}"
            auth-timeout = 240
            min-reauth-time = 300
            ban-reset-time = 1200
            cookie-timeout = 300
            deny-roaming = false
            rekey-time = 172800
            rekey-method = ssl
            use-occtl = true
            log-level = 1
            device = {tunPrefix}
            predictable-ips = true
            default-domain = {BenchNetwork.DnsDomain}
            # bench: the pool, DNS server and split-include route OpenTunnel gets too
            ipv4-network = {settings.PoolNetwork}
            ipv4-netmask = {netmask}
            dns = {BenchNetwork.DnsServer}
            ping-leases = false
            route = {BenchNetwork.CorpSubnet}
            cisco-client-compat = true
            dtls-legacy = true
            client-bypass-protocol = false

            """);
    }

    internal static string PrefixToNetmask(int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 32);
        uint mask = prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);
        return new IPAddress([(byte)(mask >> 24), (byte)(mask >> 16), (byte)(mask >> 8), (byte)mask]).ToString();
    }
}

/// <summary>Where one ocserv instance keeps its files.</summary>
internal sealed record OcservFiles(string Folder, ServerCertificate Certificate)
{
    public string ConfigFile => Path.Combine(Folder, "ocserv.conf");

    public string PasswordFile => Path.Combine(Folder, "ocpasswd");

    public string SocketFile => Path.Combine(Folder, "ocserv.sock");

    public string OcctlSocketFile => Path.Combine(Folder, "occtl.sock");

    public string PidFile => Path.Combine(Folder, "ocserv.pid");
}
