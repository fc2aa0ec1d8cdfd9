using System.Net;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Platform.Linux.Packets;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// One signed-in user's session: created by a successful sign-in, bound to the session cookie,
/// and kept across dropped TLS links until the cookie times out, so a reconnecting client gets
/// the same address (openconnect aborts when the address changes; ocserv keeps cookies 300 s).
/// Its data path (TLS link, DTLS channel, where packets go) is owned by <see cref="DataPath"/>; its
/// counters are <see cref="Traffic"/>; its addresses and latest CONNECT are set by the
/// <see cref="SessionSupervisor"/>.
/// </summary>
public sealed class GatewaySession
{
    public GatewaySession(long id, string? cookie, string cookieHash, string userName, string? deviceId, IPEndPoint clientEndPoint, DateTimeOffset signedInAt)
    {
        Id = id;
        Cookie = cookie;
        CookieHash = cookieHash;
        UserName = userName;
        DeviceId = deviceId;
        ClientEndPoint = clientEndPoint;
        SignedInAt = signedInAt;
        Traffic = new SessionTraffic();
    }

    /// <summary>A short number for the CLI (like ocserv's session ids); never the cookie.</summary>
    public long Id { get; }

    /// <summary>
    /// The webvpn cookie value: 32 random bytes, hexadecimal; sent once, in the sign-in answer.
    /// Null for a session restored after a restart, which knows only <see cref="CookieHash"/>.
    /// </summary>
    public string? Cookie { get; }

    /// <summary>The SHA-256 of the cookie (<see cref="SessionTable.HashCookie"/>): the table's key and what is saved.</summary>
    public string CookieHash { get; }

    public string UserName { get; }

    /// <summary>The token's <c>sub</c>: the immutable user id that the identity provider's revocations name; null when the token had none.</summary>
    public string? Subject { get; init; }

    /// <summary>The groups claim of the token (Auth:GroupsClaim): what Network:GroupPolicies match; empty when it had none.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>
    /// The token said the device is unmanaged (claim <c>compliance</c> = <c>unmanaged</c>): the session
    /// gets Network:UnmanagedAccess, never the group policies, and ends when that is removed.
    /// </summary>
    public bool Unmanaged { get; init; }

    /// <summary>The device id claim of the token (Auth:DeviceIdClaim), when it has one.</summary>
    public string? DeviceId { get; }

    /// <summary>The client's address and port of its latest TLS connection.</summary>
    public IPEndPoint ClientEndPoint { get; internal set; }

    public DateTimeOffset SignedInAt { get; }

    /// <summary>The leased IPv4 address (big-endian integer), 0 before the first CONNECT.</summary>
    public uint IPv4Address { get; internal set; }

    /// <summary>The leased IPv6 address (big-endian integer), 0 when the session has none.</summary>
    public Ipv6Number IPv6Address { get; internal set; }

    /// <summary>The latest CONNECT request: its headers, and X-DTLS-Master-Secret for the DTLS side.</summary>
    public ConnectRequest? ConnectRequest { get; internal set; }

    /// <summary>Set when the session ended (terminate, logout, timeout); its cookie is then refused.</summary>
    public bool Ended { get; internal set; }

    /// <summary>The TLS link, the DTLS side and the path packets to the client take.</summary>
    public SessionDataPath DataPath { get; } = new();

    /// <summary>Packets and bytes each way, over whichever transport.</summary>
    public SessionTraffic Traffic { get; }

    /// <summary>The TLS connection now serving the session, or null while the client is away.</summary>
    public CstpConnection? Connection => DataPath.Connection;

    public long BytesFromClient => Traffic.BytesFromClient;

    public long BytesToClient => Traffic.BytesToClient;

    public long PacketsFromClient => Traffic.PacketsFromClient;

    public long PacketsToClient => Traffic.PacketsToClient;

    /// <summary>The session's TCP flows as the window clamps know them (Network:TlsWindowClamp, Network:DtlsWindowClamp); null until one opened.</summary>
    public TcpWindowClamp? TcpFlows => Volatile.Read(ref _tcpFlows);

    /// <summary>The session's <see cref="TcpFlows"/>, made at the first SYN of one of its flows.</summary>
    public TcpWindowClamp StartTcpFlows()
    {
        Interlocked.CompareExchange(ref _tcpFlows, new TcpWindowClamp(), null);
        return _tcpFlows!;
    }

    private TcpWindowClamp? _tcpFlows;
}
