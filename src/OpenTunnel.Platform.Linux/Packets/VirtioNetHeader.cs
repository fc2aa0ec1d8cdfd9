using System.Buffers.Binary;

namespace OpenTunnel.Platform.Linux.Packets;

/// <summary>
/// The 10-byte header (struct virtio_net_hdr, linux/virtio_net.h) that a TUN device opened with
/// IFF_VNET_HDR puts before every packet it hands out and expects before every packet written to
/// it. With offloads on (TUNSETOFFLOAD), a packet read may be a TCP segment of up to 64 KB that the
/// reader cuts into <see cref="GsoSize"/>-byte segments (<see cref="TcpSegmenter"/>), and its
/// checksum may be left for the reader to finish (<see cref="NeedsChecksum"/>). Fields are in the
/// machine's byte order (legacy virtio), as the kernel writes them for TUN.
/// </summary>
public readonly record struct VirtioNetHeader(byte Flags, byte GsoType, ushort HeaderLength, ushort GsoSize, ushort ChecksumStart, ushort ChecksumOffset)
{
    public const int Length = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum at ChecksumStart + ChecksumOffset holds only the pseudo-header sum.</summary>
    public const byte FlagNeedsChecksum = 1;

    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoTcpV6 = 4;

    /// <summary>VIRTIO_NET_HDR_GSO_ECN: set beside the type when the segment carried CWR.</summary>
    public const byte GsoEcn = 0x80;

    public bool NeedsChecksum => (Flags & FlagNeedsChecksum) != 0;

    /// <summary>The segmentation asked for, without the ECN bit.</summary>
    public byte Segmentation => (byte)(GsoType & ~GsoEcn);

    public static VirtioNetHeader Read(ReadOnlySpan<byte> bytes) => new(
        bytes[0],
        bytes[1],
        Native(bytes[2..]),
        Native(bytes[4..]),
        Native(bytes[6..]),
        Native(bytes[8..]));

    /// <summary>Writes the header into the first <see cref="Length"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = Flags;
        destination[1] = GsoType;
        Native(destination[2..], HeaderLength);
        Native(destination[4..], GsoSize);
        Native(destination[6..], ChecksumStart);
        Native(destination[8..], ChecksumOffset);
    }

    private static void Native(Span<byte> destination, ushort value)
    {
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination, value);
        }
    }

    private static ushort Native(ReadOnlySpan<byte> bytes) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(bytes) : BinaryPrimitives.ReadUInt16BigEndian(bytes);
}
