using System.Buffers.Binary;
using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Fuzz;

/// <summary>
/// IP packets of one session through its <see cref="TcpWindowClamp"/>, as the data plane hands
/// them over: from the client (over TLS, with a window limit) and towards it.
/// Input: items of [control (1 byte), length (2 bytes, big-endian), bytes]: control bit 0 sends the
/// bytes towards the client, else from it; bits 1-7 choose the limit (0: none, as over DTLS;
/// n: n × 4 KiB). Documented refusal: a packet it cannot read passes unchanged; no exception.
/// Invariant: a packet from the client changes in at most the four bytes of a TCP header's window
/// and checksum, and only when the clamp says it changed it; no more than
/// <see cref="TcpWindowClamp.Capacity"/> flows are kept.
/// </summary>
internal static class TcpWindowClampTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        var clamp = new TcpWindowClamp();
        while (input.Length >= 3)
        {
            byte control = input[0];
            int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(input[1..]), input.Length - 3);
            byte[] packet = input.Slice(3, length).ToArray();
            input = input[(3 + length)..];
            if ((control & 1) != 0)
            {
                clamp.ToClient(packet);
                continue;
            }

            byte[] before = [.. packet];
            int limit = (control >> 1) * 4096;
            bool changed = clamp.FromClient(packet, limit > 0 ? new FixedLimit(limit) : null);
            int first = -1;
            int last = -1;
            for (int i = 0; i < packet.Length; i++)
            {
                if (packet[i] != before[i])
                {
                    first = first < 0 ? i : first;
                    last = i;
                }
            }

            FuzzInvariantException.Check(changed || first < 0, "an unchanged packet when the clamp says so");
            FuzzInvariantException.Check(last - first < 4, "at most the window and the checksum change");
            FuzzInvariantException.Check(clamp.Count <= TcpWindowClamp.Capacity, "no more flows than the capacity");
        }
    }

    private sealed record FixedLimit(int Bytes) : IWindowLimit;
}
