namespace OpenTunnel.Protocol.Cstp;

/// <summary>
/// DATA frames laid one after another in one buffer: a run of packets read from the device, each
/// straight into <see cref="NextPacket"/> after the room its header takes, then made a frame by
/// <see cref="Commit"/>. Nothing is copied or allocated per packet. The frames are written one by
/// one (a TLS record each: ocserv and openconnect take one frame per record) and flushed once,
/// so that the records share one send.
/// </summary>
public sealed class CstpFrameBatch
{
    /// <summary>The size at which a batch is sent without waiting for more (about 35 full-size packets).</summary>
    public const int Target = 48 * 1024;

    private readonly byte[] _buffer = new byte[Target + CstpFrame.HeaderLength + CstpFrame.MaxPayloadLength];

    /// <summary>The bytes of the frames so far.</summary>
    public int Length { get; private set; }

    /// <summary>The packets in the batch.</summary>
    public int Packets { get; private set; }

    /// <summary>The bytes of those packets, headers excluded.</summary>
    public long PayloadBytes { get; private set; }

    /// <summary>True when the batch has reached <see cref="Target"/> and should be sent before more is added.</summary>
    public bool IsFull => Length >= Target;

    /// <summary>Where the next packet goes: room for the largest payload a frame carries, after its header.</summary>
    /// <exception cref="InvalidOperationException">The batch is full: send it and <see cref="Clear"/> it first.</exception>
    public Span<byte> NextPacket => IsFull ? throw Full() : _buffer.AsSpan(Length + CstpFrame.HeaderLength, CstpFrame.MaxPayloadLength);

    /// <summary>The frames, ready to write.</summary>
    public ReadOnlyMemory<byte> Frames => _buffer.AsMemory(0, Length);

    /// <summary>Adds the packet of <paramref name="packetLength"/> bytes that was written into <see cref="NextPacket"/> as a DATA frame.</summary>
    /// <exception cref="InvalidOperationException">The batch is full: send it and <see cref="Clear"/> it first.</exception>
    public void Commit(int packetLength)
    {
        if (IsFull)
        {
            throw Full();
        }

        CstpFrame.WriteHeader(_buffer.AsSpan(Length), CstpPacketType.Data, packetLength);
        Length += CstpFrame.HeaderLength + packetLength;
        Packets++;
        PayloadBytes += packetLength;
    }

    private static InvalidOperationException Full() => new("The batch is full: send it before adding another packet.");

    /// <summary>Empties the batch (after it was sent).</summary>
    public void Clear()
    {
        Length = 0;
        Packets = 0;
        PayloadBytes = 0;
    }
}
