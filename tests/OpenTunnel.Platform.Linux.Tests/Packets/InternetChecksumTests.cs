using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Platform.Linux.Tests.Packets;

[Trait("Category", "Unit")]
public sealed class InternetChecksumTests
{
    [Fact]
    public void Compute_Rfc1071Example_MatchesPublishedSum()
    {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0x220d, InternetChecksum.Compute(data)); // ~0xddf2
    }

    [Fact]
    public void Compute_KnownIpv4Header_MatchesWireChecksum()
    {
        // A real header (Wikipedia's IPv4 checksum example), checksum b861.
        byte[] header =
        [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
            0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        Assert.Equal(0xb861, InternetChecksum.Compute(header));
        header[10] = 0xb8;
        header[11] = 0x61;
        Assert.True(InternetChecksum.IsValid(header));
    }

    [Fact]
    public void Compute_OddLength_PadsWithZero()
    {
        byte[] odd = [0x12, 0x34, 0x56];
        byte[] padded = [0x12, 0x34, 0x56, 0x00];
        Assert.Equal(InternetChecksum.Compute(padded), InternetChecksum.Compute(odd));
    }

    [Fact]
    public void IsValid_CorruptedByte_ReturnsFalse()
    {
        byte[] header =
        [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
            0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        header[15] ^= 0x01;
        Assert.False(InternetChecksum.IsValid(header));
    }

    [Fact]
    public void Add_AnyLengthAndAlignment_EqualsASumOf16BitWords()
    {
        var random = new Random(1071);
        byte[] buffer = new byte[70_000];
        random.NextBytes(buffer);
        foreach (int length in new[] { 0, 1, 2, 3, 31, 32, 33, 63, 64, 65, 95, 127, 1448, 1500, 9001, 65_535 })
        {
            for (int offset = 0; offset < 4; offset++)
            {
                var data = buffer.AsSpan(offset, length);

                Assert.Equal(ReferenceChecksum(data), InternetChecksum.Compute(data));
            }
        }
    }

    [Fact]
    public void Update_OneWordChanged_EqualsTheChecksumComputedAgain()
    {
        var random = new Random(7);
        for (int round = 0; round < 200; round++)
        {
            byte[] data = new byte[40];
            random.NextBytes(data);
            data[16] = data[17] = 0;
            ushort checksum = InternetChecksum.Compute(data);
            int at = 2 * random.Next(0, 8);
            ushort oldWord = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at));
            ushort newWord = (ushort)random.Next(0, 65536);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(at), newWord);

            Assert.Equal(InternetChecksum.Compute(data), InternetChecksum.Update(checksum, oldWord, newWord));
        }
    }

    /// <summary>RFC 1071 the plain way: 16-bit words in network order, the odd byte padded with zero.</summary>
    private static ushort ReferenceChecksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            sum += (uint)(data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0u);
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
