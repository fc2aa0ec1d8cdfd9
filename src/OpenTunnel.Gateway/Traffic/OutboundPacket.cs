using System.Buffers;

namespace OpenTunnel.Gateway.Traffic;

/// <summary>
/// A packet on its way to a client, in a buffer rented from <see cref="ArrayPool{T}.Shared"/> with
/// <see cref="Headroom"/> free bytes in front of it, so a transport writes its own header there
/// (8 bytes of CSTP over TLS, 1 byte over DTLS) without copying the packet. Whoever holds the
/// packet last returns the buffer: the <see cref="IPacketSink"/> once it was sent, or on a drop.
/// </summary>
public readonly struct OutboundPacket
{
    /// <summary>Room for the largest transport header (CSTP over TLS).</summary>
    public const int Headroom = Protocol.Cstp.CstpFrame.HeaderLength;

    public OutboundPacket(byte[] buffer, int length)
    {
        Buffer = buffer;
        Length = length;
    }

    /// <summary>The rented buffer; the packet starts at <see cref="Headroom"/>.</summary>
    public byte[] Buffer { get; }

    /// <summary>Length of the packet (headroom excluded).</summary>
    public int Length { get; }

    public ReadOnlySpan<byte> Payload => Buffer.AsSpan(Headroom, Length);

    /// <summary>Rents a buffer that holds the headroom and <paramref name="packetCapacity"/> bytes of packet.</summary>
    public static byte[] RentBuffer(int packetCapacity) => ArrayPool<byte>.Shared.Rent(Headroom + packetCapacity);

    /// <summary>Copies <paramref name="packet"/> into a newly rented buffer.</summary>
    public static OutboundPacket CopyOf(ReadOnlySpan<byte> packet)
    {
        byte[] buffer = RentBuffer(packet.Length);
        packet.CopyTo(buffer.AsSpan(Headroom));
        return new OutboundPacket(buffer, packet.Length);
    }

    public void Return() => ArrayPool<byte>.Shared.Return(Buffer);
}
