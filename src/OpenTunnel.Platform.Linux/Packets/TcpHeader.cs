namespace OpenTunnel.Platform.Linux.Packets;

/// <summary>The TCP header's numbers that the packet classes read and write (RFC 9293).</summary>
internal static class TcpHeader
{
    /// <summary>TCP's IP protocol number (IPv4 protocol, IPv6 next header).</summary>
    public const byte Protocol = 6;

    /// <summary>A header without options.</summary>
    public const int MinLength = 20;

    /// <summary>Where the checksum sits in the header.</summary>
    public const int ChecksumOffset = 16;

    public const byte FlagFin = 0x01;
    public const byte FlagSyn = 0x02;
    public const byte FlagRst = 0x04;
    public const byte FlagPsh = 0x08;
    public const byte FlagAck = 0x10;
    public const byte FlagCwr = 0x80;
}
