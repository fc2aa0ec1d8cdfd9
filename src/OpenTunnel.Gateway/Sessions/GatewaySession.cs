using System.Net;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Tunnel;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// One signed-in user's session: created by a successful sign-in, bound to the session cookie,
/// and kept across dropped TLS links until the cookie times out, so a reconnecting client gets
/// the same address (openconnect aborts when the address changes; ocserv keeps cookies 300 s).
/// Counters are bumped with Interlocked from the data path.
/// </summary>
public sealed class GatewaySession
{
    private long _bytesFromClient;
    private long _bytesToClient;
    private long _packetsFromClient;
    private long _packetsToClient;
    private long _lastReceivedTicks;
    private long _lastDataTicks;
    private volatile ISessionChannel? _dataChannel;

    public GatewaySession(long id, string cookie, string userName, string? deviceId, IPEndPoint clientEndPoint, DateTimeOffset signedInAt)
    {
        Id = id;
        Cookie = cookie;
        UserName = userName;
        DeviceId = deviceId;
        ClientEndPoint = clientEndPoint;
        SignedInAt = signedInAt;
        _lastDataTicks = signedInAt.UtcTicks;
        _lastReceivedTicks = signedInAt.UtcTicks;
    }

    /// <summary>A short number for the CLI (like ocserv's session ids); never the cookie.</summary>
    public long Id { get; }

    /// <summary>The webvpn cookie value: 32 random bytes, hexadecimal.</summary>
    public string Cookie { get; }

    public string UserName { get; }

    /// <summary>The token's <c>sub</c>: the immutable user id that the identity provider's revocations name; null when the token had none.</summary>
    public string? Subject { get; init; }

    /// <summary>The device id claim of the token (Auth:DeviceIdClaim), when it has one.</summary>
    public string? DeviceId { get; }

    /// <summary>The client's address and port of its latest TLS connection.</summary>
    public IPEndPoint ClientEndPoint { get; set; }

    public DateTimeOffset SignedInAt { get; }

    /// <summary>The leased IPv4 address (big-endian integer), 0 before the first CONNECT.</summary>
    public uint IPv4Address { get; set; }

    /// <summary>The leased IPv6 address (big-endian integer), 0 when the session has none.</summary>
    public UInt128 IPv6Address { get; set; }

    /// <summary>When the current TLS link came up; null while the client is away.</summary>
    public DateTimeOffset? ConnectedSince { get; set; }

    /// <summary>When the last TLS link dropped; the cookie stays valid for the cookie timeout after it.</summary>
    public DateTimeOffset? DetachedSince { get; set; }

    /// <summary>The TLS connection now serving the session, or null while the client is away.</summary>
    public CstpConnection? Connection { get; set; }

    /// <summary>The latest CONNECT request: its headers, and X-DTLS-Master-Secret for the DTLS side.</summary>
    public ConnectRequest? ConnectRequest { get; set; }

    /// <summary>The client's X-DTLS-Master-Secret (96 hex digits) from its latest CONNECT, or null.</summary>
    public string? DtlsMasterSecret => ConnectRequest?.DtlsMasterSecret;

    /// <summary>The session's DTLS side, from the first CONNECT that offered DTLS; null while it has none.</summary>
    public DtlsSessionBinding? Dtls { get; set; }

    /// <summary>Where packets for this client go: the TLS channel, unless another channel (DTLS) was set.</summary>
    public ISessionChannel? DataChannel => _dataChannel;

    /// <summary>Set when the session ended (terminate, logout, timeout); its cookie is then refused.</summary>
    public bool Ended { get; set; }

    public long BytesFromClient => Interlocked.Read(ref _bytesFromClient);

    public long BytesToClient => Interlocked.Read(ref _bytesToClient);

    public long PacketsFromClient => Interlocked.Read(ref _packetsFromClient);

    public long PacketsToClient => Interlocked.Read(ref _packetsToClient);

    /// <summary>Last time anything (data or control) arrived from the client.</summary>
    public DateTimeOffset LastReceived => new(Interlocked.Read(ref _lastReceivedTicks), TimeSpan.Zero);

    /// <summary>Last time a data packet went either way (for the idle timeout).</summary>
    public DateTimeOffset LastData => new(Interlocked.Read(ref _lastDataTicks), TimeSpan.Zero);

    /// <summary>Puts <paramref name="channel"/> in the data path (null: no path, packets are dropped).</summary>
    public void SetDataChannel(ISessionChannel? channel) => _dataChannel = channel;

    public void CountFromClient(int bytes, long nowTicks)
    {
        Interlocked.Increment(ref _packetsFromClient);
        Interlocked.Add(ref _bytesFromClient, bytes);
        Volatile.Write(ref _lastDataTicks, nowTicks);
    }

    public void CountToClient(int bytes, long nowTicks)
    {
        Interlocked.Increment(ref _packetsToClient);
        Interlocked.Add(ref _bytesToClient, bytes);
        Volatile.Write(ref _lastDataTicks, nowTicks);
    }

    public void MarkReceived(long nowTicks) => Volatile.Write(ref _lastReceivedTicks, nowTicks);
}
