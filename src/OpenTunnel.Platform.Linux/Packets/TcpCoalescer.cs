using System.Buffers;
using System.Buffers.Binary;

namespace OpenTunnel.Platform.Linux.Packets;

/// <summary>
/// Joins consecutive TCP segments of one flow into one large segment, as a network card's
/// receive offload (GRO) does, so that a TUN device with offloads takes a whole run in one write
/// (<see cref="VirtioNetHeader.GsoTcpV4"/> or <see cref="VirtioNetHeader.GsoTcpV6"/> with
/// <see cref="VirtioNetHeader.FlagNeedsChecksum"/>): the kernel forwards one packet instead of
/// dozens, and cuts it again only where the next hop needs it (<see cref="TcpSegmenter"/> is the
/// other direction). A segment joins the held one only where the kernel's cut gives it back
/// unchanged: same addresses, ports, IP header fields, acknowledgement and TCP options, the
/// next sequence number and IPv4 identification, ACK (and PSH on the last) as the only flags,
/// and the first segment's size (a shorter one, or one with PSH, ends the run). IPv4 without
/// options or fragments, IPv6 with TCP right after its header; at most 64 KB. Not thread-safe:
/// one per writer. Its buffer is rented while it holds something and returned by <see cref="Clear"/>.
/// It also holds a bare acknowledgement (ACK the only flag, no data, no SACK blocks), which the
/// next one of the same flow replaces when it acknowledges more (RFC 3449's ACK filtering, as
/// CAKE's ack-filter does): a cumulative acknowledgement says all the one before it said. A
/// duplicate (the same number, which signals a loss), one carrying SACK blocks, a window update
/// with the same number or one of another flow is never dropped.
/// </summary>
public sealed class TcpCoalescer
{
    private const int MaxLength = ushort.MaxValue;

    private byte[]? _buffer;
    private int _length;
    private int _ipLength;
    private int _headerLength;
    private int _segmentSize;
    private uint _nextSequence;
    private ushort _nextIdentification;
    private bool _ended;
    private bool _bareAck;

    /// <summary>How many segments it holds (0: none).</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Starts a run with <paramref name="packet"/>, which must be written later through
    /// <see cref="Finish"/>; false when it is not a segment that others could join (the caller
    /// writes it as it is). Only when nothing is held.
    /// </summary>
    public bool TryStart(ReadOnlySpan<byte> packet)
    {
        if (Count != 0)
        {
            throw new InvalidOperationException("The coalescer holds a run already: finish and clear it first.");
        }

        if (!TryParse(packet, out bool v4, out int headerLength, out byte flags) || flags != TcpHeader.FlagAck)
        {
            return false;
        }

        int ipLength = v4 ? IpPacket.Ipv4MinHeaderLength : IpPacket.Ipv6HeaderLength;
        bool bareAck = packet.Length == headerLength;
        if (bareAck && HasSack(packet, ipLength, headerLength))
        {
            return false;
        }

        _buffer ??= ArrayPool<byte>.Shared.Rent(MaxLength);
        packet.CopyTo(_buffer);
        _length = packet.Length;
        _ipLength = ipLength;
        _headerLength = headerLength;
        _segmentSize = packet.Length - headerLength;
        _nextSequence = Sequence(packet, _ipLength) + (uint)_segmentSize;
        _nextIdentification = v4 ? (ushort)(BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) + 1) : (ushort)0;
        _ended = bareAck;
        _bareAck = bareAck;
        Count = 1;
        return true;
    }

    /// <summary>Adds <paramref name="packet"/> to the held run; false when it cannot join it (nothing changes).</summary>
    public bool TryAppend(ReadOnlySpan<byte> packet)
    {
        if (_bareAck)
        {
            return TryReplaceAck(packet);
        }

        if (Count == 0 || _ended || !TryParse(packet, out bool v4, out int headerLength, out byte flags))
        {
            return false;
        }

        var held = _buffer.AsSpan(0, _length);
        int payload = packet.Length - headerLength;
        if (payload == 0 || headerLength != _headerLength || payload > _segmentSize || _length + payload > MaxLength || !SameFlow(held, packet, v4))
        {
            return false;
        }

        var tcp = packet[_ipLength..];
        var heldTcp = held[_ipLength..];
        bool sameTcp = Sequence(packet, _ipLength) == _nextSequence
            && tcp[..4].SequenceEqual(heldTcp[..4])
            && tcp[8..13].SequenceEqual(heldTcp[8..13])
            && tcp[20..(headerLength - _ipLength)].SequenceEqual(heldTcp[20..(headerLength - _ipLength)]);
        if (!sameTcp || (v4 && BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) != _nextIdentification))
        {
            return false;
        }

        packet[headerLength..].CopyTo(_buffer.AsSpan(_length));
        _length += payload;
        tcp.Slice(14, 2).CopyTo(_buffer.AsSpan(_ipLength + 14)); // the newest window
        if ((flags & TcpHeader.FlagPsh) != 0)
        {
            _buffer![_ipLength + 13] |= TcpHeader.FlagPsh;
        }

        _ended = (flags & TcpHeader.FlagPsh) != 0 || payload < _segmentSize;
        _nextSequence += (uint)payload;
        _nextIdentification++;
        Count++;
        return true;
    }

    /// <summary>
    /// The held run as one packet, and the virtio header to write before it: for one segment, the
    /// segment as it came and an empty header; for more, the joined segment with its lengths and
    /// IPv4 header checksum set and the TCP checksum left to the kernel. Call <see cref="Clear"/>
    /// after writing it.
    /// </summary>
    public ReadOnlySpan<byte> Finish(out VirtioNetHeader header)
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("The coalescer holds nothing.");
        }

        var packet = _buffer.AsSpan(0, _length);
        if (Count == 1)
        {
            header = default;
            return packet;
        }

        bool v4 = _ipLength == IpPacket.Ipv4MinHeaderLength;
        if (v4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)_length);
            packet[10] = 0;
            packet[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(packet[10..], InternetChecksum.Compute(packet[.._ipLength]));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)(_length - _ipLength));
        }

        int tcpLength = _length - _ipLength;
        BinaryPrimitives.WriteUInt16BigEndian(packet[(_ipLength + TcpHeader.ChecksumOffset)..], InternetChecksum.Fold(TcpSegmenter.PseudoHeaderSum(packet, _ipLength, v4, tcpLength)));
        header = new VirtioNetHeader(
            VirtioNetHeader.FlagNeedsChecksum,
            v4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6,
            (ushort)_headerLength,
            (ushort)_segmentSize,
            (ushort)_ipLength,
            TcpHeader.ChecksumOffset);
        return packet;
    }

    /// <summary>Drops the held run (written or not) and returns the buffer.</summary>
    public void Clear()
    {
        Count = 0;
        _bareAck = false;
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The held bare acknowledgement gives way to <paramref name="packet"/> when that is a bare acknowledgement of the same flow that acknowledges more.</summary>
    private bool TryReplaceAck(ReadOnlySpan<byte> packet)
    {
        var held = _buffer.AsSpan(0, _length);
        if (!TryParse(packet, out bool v4, out int headerLength, out byte flags)
            || flags != TcpHeader.FlagAck || headerLength != packet.Length || packet.Length != _length
            || v4 != (_ipLength == IpPacket.Ipv4MinHeaderLength) || !SameFlow(held, packet, v4)
            || !packet.Slice(_ipLength, 4).SequenceEqual(held.Slice(_ipLength, 4))
            || (int)(Acknowledgement(packet, _ipLength) - Acknowledgement(held, _ipLength)) <= 0
            || HasSack(packet, _ipLength, headerLength))
        {
            return false;
        }

        packet.CopyTo(_buffer);
        return true;
    }

    /// <summary>Whether the TCP options (or what cannot be read as options) may carry SACK blocks, whose news must reach the sender.</summary>
    private static bool HasSack(ReadOnlySpan<byte> packet, int ipLength, int headerLength)
    {
        var options = packet[(ipLength + TcpHeader.MinLength)..headerLength];
        for (int i = 0; i < options.Length;)
        {
            switch (options[i])
            {
                case 0: // end of the options
                    return false;
                case 1: // no-operation
                    i++;
                    continue;
                case 5: // SACK
                    return true;
                default:
                    if (i + 1 >= options.Length || options[i + 1] < 2)
                    {
                        return true;
                    }

                    i += options[i + 1];
                    continue;
            }
        }

        return false;
    }

    /// <summary>A TCP segment (with data or without) with ACK set and no flag but PSH, in a packet of the shapes this joins.</summary>
    private static bool TryParse(ReadOnlySpan<byte> packet, out bool v4, out int headerLength, out byte flags)
    {
        headerLength = 0;
        flags = 0;
        v4 = IpPacket.Version(packet) == 4;
        int ipLength;
        if (v4)
        {
            ipLength = IpPacket.Ipv4MinHeaderLength;
            if (packet.Length < ipLength + 20
                || (packet[0] & 0x0F) != 5
                || packet[9] != TcpHeader.Protocol
                || IpPacket.IsIpv4Fragment(packet)
                || BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) != packet.Length)
            {
                return false;
            }
        }
        else if (IpPacket.Version(packet) == 6)
        {
            ipLength = IpPacket.Ipv6HeaderLength;
            if (packet.Length < ipLength + 20
                || packet[6] != TcpHeader.Protocol
                || BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) + ipLength != packet.Length)
            {
                return false;
            }
        }
        else
        {
            return false;
        }

        int tcpLength = (packet[ipLength + 12] >> 4) * 4;
        headerLength = ipLength + tcpLength;
        flags = packet[ipLength + 13];
        return tcpLength >= TcpHeader.MinLength && packet.Length >= headerLength && (flags & ~TcpHeader.FlagPsh) == TcpHeader.FlagAck;
    }

    /// <summary>The IP header fields that must match (the TCP ports and the rest are compared by the caller).</summary>
    private static bool SameFlow(ReadOnlySpan<byte> held, ReadOnlySpan<byte> packet, bool v4) =>
        v4
            ? held[0] == packet[0] && held[1] == packet[1] && held[6] == packet[6] && held[8] == packet[8] && held[12..20].SequenceEqual(packet[12..20])
            : held[..4].SequenceEqual(packet[..4]) && held[7] == packet[7] && held[8..40].SequenceEqual(packet[8..40]);

    private static uint Sequence(ReadOnlySpan<byte> packet, int ipLength) => BinaryPrimitives.ReadUInt32BigEndian(packet[(ipLength + 4)..]);

    private static uint Acknowledgement(ReadOnlySpan<byte> packet, int ipLength) => BinaryPrimitives.ReadUInt32BigEndian(packet[(ipLength + 8)..]);
}
