namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// Settings of the DTLS data channel (configuration section <c>Udp</c>). The UDP port is always
/// the gateway's TLS port, as with Microsoft Tunnel and ocserv's usual setup.
/// </summary>
public sealed record DtlsOptions
{
    /// <summary>The configuration section these settings live in.</summary>
    public const string SectionName = "Udp";

    /// <summary>Offer DTLS at all (default true). False: the CONNECT response carries no DTLS headers and every tunnel runs over TLS (ocserv's <c>udp-port = 0</c>, Microsoft Tunnel's "disable UDP").</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>How long one DTLS handshake may take (default 15 s, 1–60 s). openconnect gives up on its own after about 12 s and retries later.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Handshakes running at once (default 64, 1–4096). Each holds a thread while BouncyCastle's blocking API runs; a ClientHello beyond this is dropped and the client retries.</summary>
    public int MaxConcurrentHandshakes { get; init; } = 64;

    /// <summary>SO_RCVBUF and SO_SNDBUF of the UDP socket in bytes (default 8 MiB, 256 KiB–512 MiB). Bursts from many clients land in one socket; ocserv's 208 KiB default overflowed under load.</summary>
    public int SocketBufferBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>A DTLS channel from which nothing arrived for this long is closed and its session falls back to TLS (default 90 s, 5 s–1 h): ocserv's DPD_MAX_TRIES (3) × its default DPD of 30 s.</summary>
    public TimeSpan DeadPeerTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// How many trial decryptions per second may be spent matching records from unknown
    /// addresses to established channels, to follow a client whose NAT rebound (default 1000,
    /// 0–1 000 000; 0 turns re-matching off, and such clients recover by a new handshake).
    /// </summary>
    public int RebindTrialsPerSecond { get; init; } = 1000;

    /// <summary>Every problem with these settings, each naming the setting; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (HandshakeTimeout < TimeSpan.FromSeconds(1) || HandshakeTimeout > TimeSpan.FromSeconds(60))
        {
            errors.Add($"{SectionName}:HandshakeTimeout must be between 1 and 60 seconds; got {HandshakeTimeout}.");
        }

        if (MaxConcurrentHandshakes is < 1 or > 4096)
        {
            errors.Add($"{SectionName}:MaxConcurrentHandshakes must be between 1 and 4096; got {MaxConcurrentHandshakes}.");
        }

        if (SocketBufferBytes is < 256 * 1024 or > 512 * 1024 * 1024)
        {
            errors.Add($"{SectionName}:SocketBufferBytes must be between 262144 (256 KiB) and 536870912 (512 MiB); got {SocketBufferBytes}.");
        }

        if (DeadPeerTimeout < TimeSpan.FromSeconds(5) || DeadPeerTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"{SectionName}:DeadPeerTimeout must be between 5 seconds and 1 hour; got {DeadPeerTimeout}.");
        }

        if (RebindTrialsPerSecond is < 0 or > 1_000_000)
        {
            errors.Add($"{SectionName}:RebindTrialsPerSecond must be between 0 and 1000000; got {RebindTrialsPerSecond}.");
        }

        return errors;
    }
}
