namespace OpenTunnel.Protocol.Cstp;

/// <summary>
/// The CSTP packet types (openconnect cstp.c, AC_PKT_*; ocserv worker-vpn.c). Over DTLS the same
/// codes are used with a one-byte header.
/// </summary>
public enum CstpPacketType : byte
{
    /// <summary>One IP packet.</summary>
    Data = 0x00,

    /// <summary>Dead-peer-detection request; answered with <see cref="DpdResponse"/> carrying the same payload.</summary>
    DpdRequest = 0x03,

    /// <summary>Dead-peer-detection response.</summary>
    DpdResponse = 0x04,

    /// <summary>The peer leaves; the client's payload is a reason byte (0xB0: user) and text.</summary>
    Disconnect = 0x05,

    /// <summary>Keepalive, no payload.</summary>
    Keepalive = 0x07,

    /// <summary>A compressed IP packet; only valid after compression was negotiated (never here).</summary>
    Compressed = 0x08,

    /// <summary>The server shuts down; the client quits.</summary>
    Terminate = 0x09,
}
