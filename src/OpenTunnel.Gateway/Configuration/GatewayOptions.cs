using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Observability;

namespace OpenTunnel.Gateway.Configuration;

/// <summary>
/// The whole gateway configuration: one JSON file, each value overridable by an environment
/// variable <c>OPENTUNNEL_GATEWAY_Section__Setting</c>. docs/gateway.md is the reference; every default
/// is written here beside its setting, and <see cref="GatewayOptionsValidator"/> names the
/// setting of every bad value. The properties of every section are settable, not init-only,
/// because the source-generated configuration binder of the native build cannot fill init-only
/// properties (it would leave every setting at its default).
/// </summary>
public sealed record GatewayOptions
{
    /// <summary>Where the gateway keeps its generated certificate and, by default, its control socket. Default /var/lib/opentunnel-gateway.</summary>
    public string DataDirectory { get; set; } = "/var/lib/opentunnel-gateway";

    /// <summary>Shown by the client after sign-in and at connect (X-CSTP-Banner). Default none; at most 2000 characters.</summary>
    public string? Banner { get; set; }

    public ListenerOptions Listener { get; set; } = new();

    public TlsOptions Tls { get; set; } = new();

    public NetworkOptions Network { get; set; } = new();

    public TimeoutOptions Timeouts { get; set; } = new();

    public LimitOptions Limits { get; set; } = new();

    public ControlOptions Control { get; set; } = new();

    public MetricsOptions Metrics { get; set; } = new();

    public LogOptions Log { get; set; } = new();

    /// <summary>The DTLS data channel over UDP, on the TLS port number (docs/dtls.md).</summary>
    public DtlsOptions Udp { get; set; } = new();

    /// <summary>The access-token check (issuer, audience, keys, required claims).</summary>
    public AuthOptions Auth { get; set; } = new();

    /// <summary>Sign-in in a browser at the identity provider, for openconnect --external-browser (docs/authentication.md).</summary>
    public BrowserSignInOptions BrowserSignIn { get; set; } = new();

    /// <summary>Redirecting new sign-ins to a less-loaded server of the site, without a load balancer (docs/gateway.md).</summary>
    public LoadBalancingOptions LoadBalancing { get; set; } = new();

    /// <summary>The control socket path in effect: <see cref="ControlOptions.SocketPath"/>, or control.sock in the data directory.</summary>
    public string EffectiveControlSocketPath => Control.SocketPath ?? Path.Combine(DataDirectory, "control.sock");
}

/// <summary>The one TCP port clients connect to.</summary>
public sealed record ListenerOptions
{
    /// <summary>Address to listen on; default 0.0.0.0 (every IPv4 address). "::" listens on IPv6 and IPv4.</summary>
    public string Address { get; set; } = "0.0.0.0";

    /// <summary>TCP port for TLS; default 443, 1 to 65535.</summary>
    public int Port { get; set; } = 443;
}

/// <summary>The server certificate. With no file configured a self-signed one is made in the data directory at first start.</summary>
public sealed record TlsOptions
{
    /// <summary>A PEM file (certificate first, then its chain) or a PFX/PKCS#12 file (.pfx, .p12). Default none (self-signed).</summary>
    public string? CertificateFile { get; set; }

    /// <summary>The PEM private key; default: the key is in <see cref="CertificateFile"/>. Not used with PFX.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Password of a PFX file; default none.</summary>
    public string? PfxPassword { get; set; }

    /// <summary>
    /// Days before the certificate's end of validity from which the gateway warns (log and health)
    /// and renews its self-signed certificate; default 30, 1 to 365.
    /// </summary>
    public int ExpiryWarningDays { get; set; } = 30;
}

/// <summary>Addresses, routes and DNS given to clients, the TUN device and the PAT rules.</summary>
public sealed record NetworkOptions
{
    /// <summary>TUN device name; default otun0, at most 15 characters.</summary>
    public string TunDevice { get; set; } = "otun0";

    /// <summary>
    /// Let the kernel hand the TUN device checksum and TCP segmentation work (IFF_VNET_HDR,
    /// TUNSETOFFLOAD), as it does a network card: a download towards clients crosses the host's
    /// stack as 64 KB segments, which the gateway cuts to the clients' size. Default true; false
    /// reads every packet as the stack made it. Read at start only.
    /// </summary>
    public bool TunOffload { get; set; } = true;

    /// <summary>
    /// Packets the kernel queues on the TUN device for the gateway to read (the device's txqueuelen);
    /// beyond, it drops them (counted as <c>tun_queue_full</c>). Default 10000, 100 to 1000000: room
    /// for a packet to each of 10,000 sessions at once, where Linux's default of 500 overflows when
    /// a thousand sessions' answers arrive together while the TUN reader waits for a core. Read at start only.
    /// </summary>
    public int TunQueueLength { get; set; } = 10000;

    /// <summary>
    /// IPv4 address pool in CIDR form; default 169.254.0.0/16, prefix /8 to /30. Its first usable
    /// address is the gateway's own TUN address; clients get the others (never network or broadcast).
    /// </summary>
    public string IPv4Pool { get; set; } = "169.254.0.0/16";

    /// <summary>
    /// What the gateway does at start when a pool overlaps an address or a route the host already
    /// has (its default route aside): <see cref="PoolOverlapAction.Refuse"/> (default) or <see cref="PoolOverlapAction.Warn"/>.
    /// </summary>
    public PoolOverlapAction PoolOverlap { get; set; } = PoolOverlapAction.Refuse;

    /// <summary>
    /// IPv6 address pool in CIDR form, /64 to /120; default none (IPv4 only). Its second address is the
    /// gateway's own; each client that asks for IPv6 gets one address (X-CSTP-Address-IP6).
    /// </summary>
    public string? IPv6Pool { get; set; }

    /// <summary>DNS servers given to clients (X-CSTP-DNS); at most 3. Default none.</summary>
    public IReadOnlyList<string> DnsServers { get; set; } = [];

    /// <summary>DNS suffix (X-CSTP-Default-Domain); default none.</summary>
    public string? DefaultDomain { get; set; }

    /// <summary>Domains resolved through the tunnel's DNS only (X-CSTP-Split-DNS); default none.</summary>
    public IReadOnlyList<string> SplitDns { get; set; } = [];

    /// <summary>Networks routed through the tunnel (CIDR); none means everything goes through it. Include + exclude: at most 500.</summary>
    public IReadOnlyList<string> SplitInclude { get; set; } = [];

    /// <summary>Networks that bypass the tunnel (CIDR). Include + exclude: at most 500.</summary>
    public IReadOnlyList<string> SplitExclude { get; set; } = [];

    /// <summary>Link MTU offered to clients before DTLS and IP overhead; default 1500, 576 to 9000.</summary>
    public int Mtu { get; set; } = 1500;

    /// <summary>Let clients reach each other's tunnel addresses; default false (dropped and counted).</summary>
    public bool AllowClientToClient { get; set; }

    /// <summary>
    /// Over the TLS channel (TCP carried in TCP), keep the receive window a client's TCP flows
    /// advertise to four times what the TLS connection carries in one round trip, at least 256 KiB,
    /// so that they do not fill the buffers on the way; default true (docs/gateway.md, "Performance").
    /// </summary>
    public bool TlsWindowClamp { get; set; } = true;

    /// <summary>
    /// The same over DTLS, by what the DTLS channel carries in a round trip of the session's TLS
    /// connection: a client that takes datagrams more slowly than the gateway sends them then
    /// loses fewer of them at its socket; default true (docs/gateway.md, "Performance").
    /// </summary>
    public bool DtlsWindowClamp { get; set; } = true;

    /// <summary>
    /// Let clients reach only the <see cref="SplitInclude"/> networks (all, when none) minus the
    /// <see cref="SplitExclude"/> ones, and the pushed DNS servers, enforced in the gateway's
    /// nftables table (ocserv's restrict-user-to-routes); default false: routes are advice to the client.
    /// </summary>
    public bool RestrictToRoutes { get; set; }

    /// <summary>
    /// Let clients reach the gateway host's own addresses and the cloud metadata service
    /// (169.254.169.254, fd00:ec2::254); default false: dropped in the nftables table, DNS to the pushed servers excepted.
    /// </summary>
    public bool AllowClientToHost { get; set; }

    /// <summary>Enable forwarding and install the gateway's nftables table (PAT); default true. False when the host manages both.</summary>
    public bool ManageFirewall { get; set; } = true;

    /// <summary>Interfaces the pool is masqueraded towards; default none = every interface but the TUN device.</summary>
    public IReadOnlyList<string> EgressInterfaces { get; set; } = [];

    /// <summary>Name of the nftables table (family inet) the gateway owns; default opentunnel.</summary>
    public string NftablesTable { get; set; } = "opentunnel";

    /// <summary>
    /// Routes and DNS per group of the token's groups claim (Auth:GroupsClaim), like ocserv's
    /// config-per-group; a user in several listed groups gets the union, a user in none the
    /// settings above. Default none. With any listed, each session may reach only its own routes,
    /// enforced per session in the nftables table (needs <see cref="ManageFirewall"/>).
    /// </summary>
    public IReadOnlyList<GroupPolicyOptions> GroupPolicies { get; set; } = [];

    /// <summary>
    /// What a session whose token says the device is unmanaged (claim <c>compliance</c> =
    /// <c>unmanaged</c>: signed in without an enrolled device, where conditional access allows it)
    /// may reach: only these routes, enforced per session in the nftables table (needs
    /// <see cref="ManageFirewall"/>); group policies do not apply to it. Default none: such tokens
    /// are refused at sign-in.
    /// </summary>
    public UnmanagedAccessOptions? UnmanagedAccess { get; set; }
}

/// <summary>The routes and DNS of sessions of unmanaged devices (<see cref="NetworkOptions.UnmanagedAccess"/>).</summary>
public sealed record UnmanagedAccessOptions
{
    /// <summary>Networks routed through the tunnel (CIDR): the only destinations such a session can reach. At least one, at most 500.</summary>
    public IReadOnlyList<string> SplitInclude { get; set; } = [];

    /// <summary>DNS servers of such sessions; none: Network:DnsServers. At most 3.</summary>
    public IReadOnlyList<string> DnsServers { get; set; } = [];

    /// <summary>The DNS suffix of such sessions; none: Network:DefaultDomain.</summary>
    public string? DefaultDomain { get; set; }
}

/// <summary>The routes and DNS of the members of one group (<see cref="NetworkOptions.GroupPolicies"/>).</summary>
public sealed record GroupPolicyOptions
{
    /// <summary>The group's name as the token's groups claim carries it, matched exactly.</summary>
    public string Group { get; set; } = string.Empty;

    /// <summary>Networks routed through the tunnel for the group's members (CIDR); none, with <see cref="ReplaceRoutes"/>, means everything.</summary>
    public IReadOnlyList<string> SplitInclude { get; set; } = [];

    /// <summary>Networks that bypass the tunnel for the group's members (CIDR).</summary>
    public IReadOnlyList<string> SplitExclude { get; set; } = [];

    /// <summary>False (default): the group's routes add to Network:SplitInclude and Network:SplitExclude; true: they replace them.</summary>
    public bool ReplaceRoutes { get; set; }

    /// <summary>DNS servers of the group's members; none: Network:DnsServers. At most 3.</summary>
    public IReadOnlyList<string> DnsServers { get; set; } = [];

    /// <summary>The DNS suffix of the group's members; none: Network:DefaultDomain.</summary>
    public string? DefaultDomain { get; set; }
}

/// <summary>What to do with a pool that overlaps a network the host already uses (<see cref="NetworkOptions.PoolOverlap"/>).</summary>
public enum PoolOverlapAction
{
    /// <summary>Do not start; the error names the pool and the host's address or route.</summary>
    Refuse,

    /// <summary>Start, and log a warning naming both.</summary>
    Warn,
}

/// <summary>Liveness and lifetimes, in seconds (ocserv's defaults where it has one).</summary>
public sealed record TimeoutOptions
{
    /// <summary>How often the client sends a keepalive (X-CSTP-Keepalive); default 32400 as ocserv, 0 to 86400.</summary>
    public int KeepaliveSeconds { get; set; } = 32400;

    /// <summary>Dead-peer-detection interval (X-CSTP-DPD); a link silent for twice this is closed. Default 90 as ocserv, 5 to 3600.</summary>
    public int DpdSeconds { get; set; } = 90;

    /// <summary>A session with no data either way for this long ends (X-CSTP-Idle-Timeout); default 1200 as ocserv, 0 = never.</summary>
    public int IdleTimeoutSeconds { get; set; } = 1200;

    /// <summary>A session ends this long after sign-in (X-CSTP-Session-Timeout); default 0 = never.</summary>
    public int SessionTimeoutSeconds { get; set; }

    /// <summary>How long a cookie stays valid after its TLS link dropped, for the client's reconnect; default 300 as ocserv, 10 to 86400.</summary>
    public int CookieTimeoutSeconds { get; set; } = 300;
}

/// <summary>Limits that refuse a sign-in instead of accepting and then closing.</summary>
public sealed record LimitOptions
{
    /// <summary>Most sessions at once; default 1024, 1 to 65535.</summary>
    public int MaxSessions { get; set; } = 1024;

    /// <summary>Most sessions of one user at once; default 2 as ocserv's max-same-clients, 0 = no limit.</summary>
    public int MaxSessionsPerUser { get; set; } = 2;

    /// <summary>Token checks allowed per client address per minute; default 30, 0 = no limit.</summary>
    public int AuthAttemptsPerMinute { get; set; } = 30;

    /// <summary>Packets queued towards one client before further ones are dropped (a slow client never blocks others); default 512, 16 to 65536.</summary>
    public int SendQueuePackets { get; set; } = 512;

    /// <summary>
    /// The absolute deadline of a connection's whole pre-authentication phase (TLS handshake and
    /// every HTTP request until CONNECT), whatever keep-alive requests it sends, like ocserv's
    /// auth-timeout; default 60, 5 to 3600.
    /// </summary>
    public int PreAuthTimeoutSeconds { get; set; } = 60;

    /// <summary>Connections that have not yet signed in or presented a valid cookie, at once; their own budget beside MaxSessions; default 1024, 1 to 65535.</summary>
    public int MaxPreAuthConnections { get; set; } = 1024;

    /// <summary>Pre-authentication connections of one client address (an IPv4 address or an IPv6 /64) at once; default 16, 1 to MaxPreAuthConnections.</summary>
    public int MaxPreAuthPerAddress { get; set; } = 16;

    /// <summary>The score at which a client address is banned (like ocserv's max-ban-score); default 80, 0 = no bans.</summary>
    public int BanScore { get; set; } = 80;

    /// <summary>Points for a token that is not a genuine token for this gateway, or an unknown session cookie; default 10, 0 to 1000.</summary>
    public int BanPointsRefusedSignIn { get; set; } = 10;

    /// <summary>Points for a request the gateway cannot parse (HTTP or auth XML); default 10, 0 to 1000.</summary>
    public int BanPointsMalformedRequest { get; set; } = 10;

    /// <summary>A score is forgotten after this long without new points (like ocserv's ban-reset-time); default 1200, 1 to 86400.</summary>
    public int BanScoreResetSeconds { get; set; } = 1200;

    /// <summary>How long a ban lasts; default 1200, 1 to 604800.</summary>
    public int BanSeconds { get; set; } = 1200;
}

/// <summary>
/// Load-aware sign-in without a load balancer: a client's first request, before it has a session,
/// may be answered with a redirect to the least-loaded healthy peer of the site. The management
/// service writes <see cref="Peers"/> (through the agent's apply); the rest is the site's setting.
/// </summary>
public sealed record LoadBalancingOptions
{
    /// <summary>Off (default): every sign-in is served here. Redirect: new sign-ins may be sent to a peer.</summary>
    public LoadBalancingMode Mode { get; set; } = LoadBalancingMode.Off;

    /// <summary>
    /// Redirect only when this gateway holds at least this many percent more sessions than the
    /// least-loaded peer (and at least one more), so that two servers do not send clients back and
    /// forth; default 20, 0 to 1000.
    /// </summary>
    public int ThresholdPercent { get; set; } = 20;

    /// <summary>A peer whose figures are older than this many seconds is never a target; default 120, 10 to 3600.</summary>
    public int StaleSeconds { get; set; } = 120;

    /// <summary>The other servers of the site and their load, as the management service last saw them; default none.</summary>
    public IReadOnlyList<PeerOptions> Peers { get; set; } = [];
}

public enum LoadBalancingMode
{
    Off,
    Redirect,
}

/// <summary>One other gateway server of the site, as the management service last saw it.</summary>
public sealed record PeerOptions
{
    /// <summary>host:port where clients reach that server directly (the authority of the redirect URL).</summary>
    public string Address { get; set; } = string.Empty;

    /// <summary>Its sessions at its last telemetry report.</summary>
    public int Sessions { get; set; }

    /// <summary>Its CPU use at that report, 0 to 100; null when unknown. Breaks ties between peers with as many sessions.</summary>
    public double? CpuPercent { get; set; }

    /// <summary>Whether the management service judged it healthy (a warning still counts as healthy).</summary>
    public bool Healthy { get; set; }

    /// <summary>Whether it is drained (takes no new sessions).</summary>
    public bool Draining { get; set; }

    /// <summary>When its figures were reported (UTC); a peer without one is never a target.</summary>
    public DateTimeOffset? ReportedAt { get; set; }
}

/// <summary>The local control API (Unix socket, mode 0600) that the CLI verbs use.</summary>
public sealed record ControlOptions
{
    /// <summary>Socket path; default control.sock in the data directory.</summary>
    public string? SocketPath { get; set; }
}

/// <summary>Prometheus metrics.</summary>
public sealed record MetricsOptions
{
    /// <summary>host:port to serve /metrics on; default 127.0.0.1:9464; empty disables.</summary>
    public string? Address { get; set; } = "127.0.0.1:9464";
}

/// <summary>The log lines on standard output (the journal under systemd).</summary>
public sealed record LogOptions
{
    /// <summary>simple (default): one line per event with a UTC timestamp; json: one JSON object per line; systemd: syslog priority prefixes for the journal, no timestamp. Needs a restart.</summary>
    public LogFormat Format { get; set; } = LogFormat.Simple;
}
