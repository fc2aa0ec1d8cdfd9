using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OpenTunnel.Platform.Linux.Packets;

/// <summary>The one's-complement Internet checksum of RFC 1071, as IPv4, ICMP, TCP and UDP use it.</summary>
public static class InternetChecksum
{
    /// <summary>
    /// The checksum of <paramref name="data"/>: write it into the checksum field (zeroed first) in
    /// network byte order. Computing it over data that already carries a correct checksum gives 0.
    /// </summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(0, data));

    /// <summary>True when <paramref name="data"/> (checksum field included) sums to the all-ones value.</summary>
    public static bool IsValid(ReadOnlySpan<byte> data) => Compute(data) == 0;

    /// <summary>
    /// Adds <paramref name="data"/> to a running sum in 32-bit words in the machine's byte order, 32
    /// bytes a step in 128-bit vectors (the one's-complement sum depends on neither, RFC 1071
    /// §2(B); <see cref="Finish"/> turns the byte order around). Every piece but the last must have
    /// an even length, so that bytes pair up as they would in one piece (a pseudo-header, then the
    /// segment). 128-bit vectors are part of every x86-64 and arm64 CPU, so the native executables,
    /// which are compiled for the baseline of their architecture, use them too (256-bit vectors
    /// they would not): about four times as fast as a word at a time.
    /// </summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        const int Step = 2 * 16;
        if (Vector128.IsHardwareAccelerated && data.Length >= Step)
        {
            // Each 64-bit lane's two 32-bit words go into two 64-bit sums, masked and shifted, in two
            // independent pairs; none can overflow for any packet (each grows by under 2^32 a step).
            var mask = Vector128.Create((ulong)uint.MaxValue);
            var low = Vector128<ulong>.Zero;
            var high = Vector128<ulong>.Zero;
            var nextLow = Vector128<ulong>.Zero;
            var nextHigh = Vector128<ulong>.Zero;
            ref byte start = ref MemoryMarshal.GetReference(data);
            int blocks = data.Length & ~(Step - 1);
            for (int offset = 0; offset < blocks; offset += Step)
            {
                var lanes = Vector128.LoadUnsafe(ref start, (nuint)offset).AsUInt64();
                var nextLanes = Vector128.LoadUnsafe(ref start, (nuint)(offset + 16)).AsUInt64();
                low += lanes & mask;
                high += lanes >> 32;
                nextLow += nextLanes & mask;
                nextHigh += nextLanes >> 32;
            }

            sum += Vector128.Sum(low + high + nextLow + nextHigh);
            data = data[blocks..];
        }

        var words = MemoryMarshal.Cast<byte, uint>(data);
        foreach (uint word in words)
        {
            sum += word;
        }

        int i = words.Length * sizeof(uint);
        if (i + 1 < data.Length)
        {
            sum += MemoryMarshal.Read<ushort>(data[i..]);
            i += 2;
        }

        if (i < data.Length)
        {
            // The odd last byte is the high byte of a zero-padded word in network order.
            sum += BitConverter.IsLittleEndian ? data[i] : (ulong)data[i] << 8;
        }

        return sum;
    }

    /// <summary>Folds a running sum from <see cref="Add"/> to 16 bits and complements it: the checksum, to write in network byte order.</summary>
    public static ushort Finish(ulong sum) => (ushort)~Fold(sum);

    /// <summary>
    /// Folds a running sum from <see cref="Add"/> to 16 bits without complementing it, in network
    /// byte order: what a checksum field holds when its sum is left to be finished by the device
    /// (a pseudo-header sum under <see cref="VirtioNetHeader.FlagNeedsChecksum"/>).
    /// </summary>
    public static ushort Fold(ulong sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness((ushort)sum) : (ushort)sum;
    }

    /// <summary>
    /// The checksum after one 16-bit word it covers changed from <paramref name="oldWord"/> to
    /// <paramref name="newWord"/> (RFC 1624, equation 3), all three as the packet carries them in
    /// network byte order: no need to sum the whole packet again.
    /// </summary>
    public static ushort Update(ushort checksum, ushort oldWord, ushort newWord)
    {
        uint sum = (uint)(ushort)~checksum + (ushort)~oldWord + newWord;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
