using System.Buffers.Binary;

namespace OpenTunnel.Platform.Linux.Packets;

/// <summary>
/// Keeps the receive window that one tunnel client's TCP flows advertise to their peers at most a
/// limit, by lowering the window field of the client's acknowledgements (and fixing the checksum)
/// before they leave the gateway. A TCP flow carried over a TCP tunnel otherwise fills every
/// buffer on its way with data the tunnel's receiver has yet to read: nothing is lost on the way,
/// so the flow's window, not loss, bounds what it has in flight. Over a UDP tunnel the window
/// bounds what waits in front of a client that reads more slowly than the gateway sends, which
/// otherwise loses the rest at its socket.
/// The window field counts in units of 2^scale, the scale each side announced in its SYN
/// (RFC 7323), and scaling is in force only when both SYNs announced one. So the clamp learns each
/// flow from its handshake: the client's scale from the client's SYN (or SYN-ACK), and that the
/// peer scales too from the peer's. It lowers only windows of flows whose handshake it saw whole,
/// and never raises one. It remembers <see cref="Capacity"/> flows, the oldest making room for a
/// new one; a flow it forgot keeps its windows as they are. Thread-safe: the client's packets and
/// the packets to it are read on different threads.
/// </summary>
public sealed class TcpWindowClamp
{
    /// <summary>The flows remembered at a time.</summary>
    public const int Capacity = 64;

    /// <summary>The largest shift RFC 7323 allows; a larger announced value counts as 14.</summary>
    private const int MaxScale = 14;

    private const byte OptionEnd = 0;
    private const byte OptionNoOperation = 1;
    private const byte OptionWindowScale = 3;

    private readonly Lock _gate = new();
    private readonly Flow[] _flows = new Flow[Capacity];
    private int _count;
    private int _nextToReplace;

    /// <summary>The flows remembered now (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>
    /// True when <paramref name="packet"/> (IPv4 or IPv6, in either direction) is a TCP SYN: a
    /// session without a clamp yet needs one only from such a packet on, since the others change
    /// nothing in an empty one.
    /// </summary>
    public static bool OpensFlow(ReadOnlySpan<byte> packet) =>
        TryLocateTcp(packet, out int tcp, out _, out _) && (packet[tcp + 13] & TcpHeader.FlagSyn) != 0;

    /// <summary>
    /// True when <paramref name="packet"/> (IPv4 or IPv6) is a TCP segment that carries no data and
    /// no SYN, FIN or RST: an acknowledgement or a window update, which a download's client sends
    /// and to which the peer answers with the download's next data.
    /// </summary>
    public static bool IsBareAcknowledgement(ReadOnlySpan<byte> packet) =>
        TryLocateTcp(packet, out int tcp, out _, out _)
        && packet.Length == tcp + ((packet[tcp + 12] >> 4) * 4)
        && (packet[tcp + 13] & (TcpHeader.FlagSyn | TcpHeader.FlagFin | TcpHeader.FlagRst)) == 0;

    /// <summary>
    /// A packet from the client: learns the client's window scale from its SYN, forgets a flow the
    /// client resets or finishes, and with a <paramref name="limit"/> (null: none, the packet passes
    /// as it is) lowers the window of an acknowledgement on a flow whose handshake it saw to at most
    /// <see cref="IWindowLimit.Bytes"/>, read only for such an acknowledgement. True when it changed the packet.
    /// </summary>
    public bool FromClient(Span<byte> packet, IWindowLimit? limit)
    {
        int scale = Track(packet, wantScale: limit is not null, out int tcp);
        return scale >= 0 && limit is not null && Clamp(packet[tcp..], scale, limit.Bytes);
    }

    /// <summary>
    /// Learns from a packet of the client (see <see cref="FromClient"/>) and
    /// returns the client's scale when the packet is an acknowledgement on a flow that scales both
    /// ways, else -1. Without <paramref name="wantScale"/> only a SYN, FIN or RST takes the lock.
    /// </summary>
    private int Track(ReadOnlySpan<byte> packet, bool wantScale, out int tcp)
    {
        if (!TryLocateTcp(packet, out tcp, out var peer, out bool v6))
        {
            return -1;
        }

        var segment = packet[tcp..];
        byte flags = segment[13];
        if (!wantScale && (flags & (TcpHeader.FlagSyn | TcpHeader.FlagFin | TcpHeader.FlagRst)) == 0)
        {
            return -1;
        }

        var key = new FlowKey(peer, v6, ClientPort: Port(segment, 0), PeerPort: Port(segment, 2));
        lock (_gate)
        {
            if ((flags & TcpHeader.FlagSyn) != 0)
            {
                int announced = AnnouncedScale(segment);
                ref var flow = ref Remember(key, (flags & TcpHeader.FlagAck) == 0);
                flow.ClientScale = (sbyte)announced;
                return -1;
            }

            int index = Find(key);
            if (index < 0)
            {
                return -1;
            }

            if ((flags & (TcpHeader.FlagRst | TcpHeader.FlagFin)) != 0)
            {
                Forget(index);
                return -1;
            }

            return (flags & TcpHeader.FlagAck) != 0 && _flows[index].PeerScales ? _flows[index].ClientScale : -1;
        }
    }

    /// <summary>A packet to the client: learns whether the peer's SYN announced a window scale; forgets a flow the peer resets.</summary>
    public void ToClient(ReadOnlySpan<byte> packet)
    {
        if (!TryLocateTcp(packet, out int tcp, out var peer, out bool v6, towardsClient: true))
        {
            return;
        }

        var segment = packet[tcp..];
        byte flags = segment[13];
        if ((flags & (TcpHeader.FlagSyn | TcpHeader.FlagRst)) == 0)
        {
            return;
        }

        var key = new FlowKey(peer, v6, ClientPort: Port(segment, 2), PeerPort: Port(segment, 0));
        lock (_gate)
        {
            if ((flags & TcpHeader.FlagRst) != 0)
            {
                int index = Find(key);
                if (index >= 0)
                {
                    Forget(index);
                }

                return;
            }

            ref var flow = ref Remember(key, (flags & TcpHeader.FlagAck) == 0);
            flow.PeerScales = AnnouncedScale(segment) >= 0;
        }
    }

    /// <summary>Lowers the segment's window to at most <paramref name="limit"/> bytes at the flow's scale; true when it changed.</summary>
    private static bool Clamp(Span<byte> segment, int scale, int limit)
    {
        ushort window = BinaryPrimitives.ReadUInt16BigEndian(segment[14..]);
        int allowed = Math.Max(1, Math.Min(ushort.MaxValue, limit >> scale));
        if (window <= allowed)
        {
            return false;
        }

        // The checksum and the window are both words in network order: the update works on them as they are.
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(segment[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(segment[14..], (ushort)allowed);
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], InternetChecksum.Update(checksum, window, (ushort)allowed));
        return true;
    }

    /// <summary>
    /// The flow's slot, kept or made. A new handshake (<paramref name="opening"/>: a SYN without ACK)
    /// starts the flow afresh, since a port may be used again; a SYN-ACK keeps what its SYN taught.
    /// </summary>
    private ref Flow Remember(FlowKey key, bool opening)
    {
        int index = Find(key);
        if (index >= 0)
        {
            if (opening)
            {
                _flows[index] = Flow.New(key);
            }

            return ref _flows[index];
        }

        if (_count < Capacity)
        {
            index = _count++;
        }
        else
        {
            index = _nextToReplace;
            _nextToReplace = (_nextToReplace + 1) % Capacity;
        }

        _flows[index] = Flow.New(key);
        return ref _flows[index];
    }

    private int Find(FlowKey key)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_flows[i].Key == key)
            {
                return i;
            }
        }

        return -1;
    }

    private void Forget(int index)
    {
        // The last slot fills the gap; the replacement order may skip a beat, which only changes which old flow goes first.
        _count--;
        _flows[index] = _flows[_count];
        _flows[_count] = default;
        if (_nextToReplace >= _count)
        {
            _nextToReplace = 0;
        }
    }

    /// <summary>The window scale the SYN segment announces (at most 14), or -1 when it announces none.</summary>
    private static int AnnouncedScale(ReadOnlySpan<byte> segment)
    {
        int end = Math.Min(segment.Length, (segment[12] >> 4) * 4);
        for (int i = TcpHeader.MinLength; i < end;)
        {
            byte kind = segment[i];
            if (kind == OptionEnd)
            {
                break;
            }

            if (kind == OptionNoOperation)
            {
                i++;
                continue;
            }

            if (i + 1 >= end || segment[i + 1] < 2 || i + segment[i + 1] > end)
            {
                // A malformed option list: no scale can be trusted from it.
                return -1;
            }

            if (kind == OptionWindowScale && segment[i + 1] == 3)
            {
                return Math.Min(MaxScale, (int)segment[i + 2]);
            }

            i += segment[i + 1];
        }

        return -1;
    }

    /// <summary>
    /// Finds the TCP header of an unfragmented IPv4 or IPv6 packet whose TCP header is whole
    /// (IPv6 only without extension headers), and the address of the peer: the destination of a
    /// packet from the client, the source of one towards it.
    /// </summary>
    private static bool TryLocateTcp(ReadOnlySpan<byte> packet, out int tcp, out Ipv6Number peer, out bool v6, bool towardsClient = false)
    {
        tcp = 0;
        peer = default;
        v6 = IpPacket.Version(packet) == 6;
        if (v6)
        {
            if (!IpPacket.TryReadIpv6(packet, out var header6) || header6.NextHeader != TcpHeader.Protocol)
            {
                return false;
            }

            tcp = IpPacket.Ipv6HeaderLength;
            peer = towardsClient ? header6.Source : header6.Destination;
        }
        else
        {
            if (!IpPacket.TryReadIpv4(packet, out var header) || header.Protocol != TcpHeader.Protocol)
            {
                return false;
            }

            if (IpPacket.IsIpv4Fragment(packet))
            {
                return false;
            }

            tcp = header.HeaderLength;
            peer = new Ipv6Number(0, towardsClient ? header.Source : header.Destination);
        }

        if (packet.Length < tcp + TcpHeader.MinLength)
        {
            return false;
        }

        int headerLength = (packet[tcp + 12] >> 4) * 4;
        return headerLength >= TcpHeader.MinLength && packet.Length >= tcp + headerLength;
    }

    private static ushort Port(ReadOnlySpan<byte> segment, int offset) => BinaryPrimitives.ReadUInt16BigEndian(segment[offset..]);

    private readonly record struct FlowKey(Ipv6Number Peer, bool V6, ushort ClientPort, ushort PeerPort);

    private struct Flow
    {
        public FlowKey Key;

        /// <summary>The scale the client announced; -1 until its SYN passed, or when it announced none.</summary>
        public sbyte ClientScale;

        /// <summary>True once the peer's SYN passed announcing a scale.</summary>
        public bool PeerScales;

        public static Flow New(FlowKey key) => new() { Key = key, ClientScale = -1 };
    }
}
