namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// Settings of the DTLS data channel (configuration section <c>Udp</c>). The UDP port is always
/// the gateway's TLS port, as with Microsoft Tunnel and ocserv's usual setup.
/// </summary>
public sealed record DtlsOptions
{
    /// <summary>The configuration section these settings live in.</summary>
    public const string SectionName = "Udp";

    /// <summary>ocserv's DPD_MAX_TRIES: a DTLS channel silent for this many DPD intervals is given up (worker-vpn.c).</summary>
    public const int DpdMaxTries = 3;

    /// <summary>Offer DTLS at all (default true). False: the CONNECT response carries no DTLS headers and every tunnel runs over TLS (ocserv's <c>udp-port = 0</c>, Microsoft Tunnel's "disable UDP").</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long one DTLS handshake may take, in seconds (default 15, 1–60). openconnect gives up on its own after about 12 s and retries later.</summary>
    public int HandshakeTimeoutSeconds { get; set; } = 15;

    /// <summary>Handshakes running at once (default 64, 1–4096). Each holds a thread while BouncyCastle's blocking API runs; a ClientHello beyond this is dropped and the client retries.</summary>
    public int MaxConcurrentHandshakes { get; set; } = 64;

    /// <summary>SO_RCVBUF and SO_SNDBUF of the UDP socket in bytes (default 8 MiB, 256 KiB–512 MiB). Bursts from many clients land in one socket; ocserv's 208 KiB default overflowed under load.</summary>
    public int SocketBufferBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// A DTLS channel from which nothing arrived for this many seconds is closed and its session
    /// falls back to TLS (5–3600). Default 0: <see cref="DpdMaxTries"/> × the DPD interval, as ocserv.
    /// </summary>
    public int DeadPeerTimeoutSeconds { get; set; }

    /// <summary>
    /// How many trial decryptions per second may be spent matching records from unknown
    /// addresses to established channels, to follow a client whose NAT rebound (default 1000,
    /// 0–1 000 000; 0 turns re-matching off, and such clients recover by a new handshake).
    /// </summary>
    public int RebindTrialsPerSecond { get; set; } = 1000;

    /// <summary>
    /// The port number clients are told in <c>X-DTLS-Port</c> (1–65535). Default 0: the port the
    /// gateway listens on. Behind a load balancer each gateway of a site names a port of its own
    /// that the balancer forwards to that gateway alone, so a client's DTLS reaches the gateway
    /// that holds its TLS session (openconnect sends DTLS to the address it reached over TLS and
    /// this port).
    /// </summary>
    public int AdvertisedPort { get; set; }

    /// <summary>The X-DTLS-Port of a gateway whose UDP socket listens on <paramref name="listenPort"/>.</summary>
    public int ClientPort(int listenPort) => AdvertisedPort > 0 ? AdvertisedPort : listenPort;

    /// <summary>The dead-peer time in effect for a DPD interval of <paramref name="dpdSeconds"/>.</summary>
    public TimeSpan DeadPeerTimeout(int dpdSeconds) =>
        TimeSpan.FromSeconds(DeadPeerTimeoutSeconds > 0 ? DeadPeerTimeoutSeconds : DpdMaxTries * Math.Max(dpdSeconds, 1));

    /// <summary>Every problem with these settings, each naming the setting; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (HandshakeTimeoutSeconds is < 1 or > 60)
        {
            errors.Add($"{SectionName}:HandshakeTimeoutSeconds must be between 1 and 60; got {HandshakeTimeoutSeconds}.");
        }

        if (MaxConcurrentHandshakes is < 1 or > 4096)
        {
            errors.Add($"{SectionName}:MaxConcurrentHandshakes must be between 1 and 4096; got {MaxConcurrentHandshakes}.");
        }

        if (SocketBufferBytes is < 256 * 1024 or > 512 * 1024 * 1024)
        {
            errors.Add($"{SectionName}:SocketBufferBytes must be between 262144 (256 KiB) and 536870912 (512 MiB); got {SocketBufferBytes}.");
        }

        if (DeadPeerTimeoutSeconds != 0 && DeadPeerTimeoutSeconds is < 5 or > 3600)
        {
            errors.Add($"{SectionName}:DeadPeerTimeoutSeconds must be 0 (3 × the DPD interval) or between 5 and 3600; got {DeadPeerTimeoutSeconds}.");
        }

        if (RebindTrialsPerSecond is < 0 or > 1_000_000)
        {
            errors.Add($"{SectionName}:RebindTrialsPerSecond must be between 0 and 1000000; got {RebindTrialsPerSecond}.");
        }

        if (AdvertisedPort is < 0 or > 65535)
        {
            errors.Add($"{SectionName}:AdvertisedPort must be 0 (the listening port) or between 1 and 65535; got {AdvertisedPort}.");
        }

        return errors;
    }
}
