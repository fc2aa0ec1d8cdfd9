using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Protocol.Tests.Dtls;

[Trait("Category", "Unit")]
public sealed class DtlsRecordProtectionTests
{
    private static readonly byte[] Payload = [0, 0x45, 0, 0, 20, 1, 2, 3, 4, 5];

    [Fact]
    public void Seal_ThenOpenWithMirroredKeys_RoundTrips()
    {
        var (gateway, client) = MirroredPair();
        byte[] record = new byte[200];
        int length = client.Seal(DtlsRecord.ApplicationData, Payload, record);

        byte[] plaintext = new byte[200];
        Assert.Equal(DtlsOpenResult.Ok, gateway.Open(record.AsSpan(0, length), plaintext, out byte type, out int plaintextLength));
        Assert.Equal(DtlsRecord.ApplicationData, type);
        Assert.Equal(Payload, plaintext[..plaintextLength]);
        Assert.Equal(Payload.Length + DtlsRecordProtection.Overhead, length);
    }

    [Fact]
    public void Seal_TheLargestPlaintextARecordCarries_RoundTrips_OneMoreIsRefusedNamingThePlaintext()
    {
        // Found by the dtls-record fuzz target: a 65,532-byte text was refused with "needs 65569
        // bytes of room; got 65569", naming the destination, which had room enough.
        var (gateway, client) = MirroredPair();
        byte[] largest = new byte[DtlsRecordProtection.MaxPlaintextLength];
        Random.Shared.NextBytes(largest);
        byte[] record = Sealed(client, largest);
        byte[] tooLong = new byte[DtlsRecordProtection.MaxPlaintextLength + 1];

        byte[] plaintext = new byte[ushort.MaxValue];
        Assert.Equal(DtlsOpenResult.Ok, gateway.Open(record, plaintext, out _, out int plaintextLength));
        Assert.Equal(largest, plaintext[..plaintextLength]);
        Assert.True(DtlsRecord.TryReadHeader(record, out _, out _, out _, out int recordLength));
        Assert.Equal(ushort.MaxValue, recordLength);
        var refused = Assert.Throws<ArgumentException>(() => client.Seal(DtlsRecord.ApplicationData, tooLong, new byte[tooLong.Length + DtlsRecordProtection.Overhead]));
        Assert.Equal("plaintext", refused.ParamName);
        Assert.StartsWith("A DTLS record carries at most 65511 plaintext bytes (its length field is 16 bits); got 65512.", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Seal_PlaintextInsideDestination_EncryptsInPlace()
    {
        var (gateway, client) = MirroredPair();
        byte[] buffer = new byte[200];
        const int offset = DtlsRecord.HeaderLength + DtlsRecordProtection.ExplicitNonceLength;
        Payload.CopyTo(buffer, offset);

        int length = client.Seal(DtlsRecord.ApplicationData, buffer.AsSpan(offset, Payload.Length), buffer);

        byte[] plaintext = new byte[200];
        Assert.Equal(DtlsOpenResult.Ok, gateway.Open(buffer.AsSpan(0, length), plaintext, out _, out int plaintextLength));
        Assert.Equal(Payload, plaintext[..plaintextLength]);
    }

    [Fact]
    public void Open_SameRecordTwice_SecondIsReplayed()
    {
        var (gateway, client) = MirroredPair();
        byte[] record = Sealed(client, Payload);
        byte[] plaintext = new byte[200];

        Assert.Equal(DtlsOpenResult.Ok, gateway.Open(record, plaintext, out _, out _));
        Assert.Equal(DtlsOpenResult.Replayed, gateway.Open(record, plaintext, out _, out _));
    }

    [Fact]
    public void Open_ReorderedRecordsInsideWindow_BothAccepted()
    {
        var (gateway, client) = MirroredPair();
        byte[] first = Sealed(client, Payload);
        byte[] second = Sealed(client, Payload);
        byte[] plaintext = new byte[200];

        Assert.Equal(DtlsOpenResult.Ok, gateway.Open(second, plaintext, out _, out _));
        Assert.Equal(DtlsOpenResult.Ok, gateway.Open(first, plaintext, out _, out _));
    }

    [Theory]
    [InlineData(5)] // sequence number in the header (part of the additional data)
    [InlineData(8)] // type/version would be Malformed; flip inside the sequence
    [InlineData(14)] // explicit nonce
    [InlineData(24)] // ciphertext
    [InlineData(-1)] // last byte of the tag
    public void Open_AnyByteFlipped_FailsAuthenticationAndLeavesWindowAlone(int offset)
    {
        var (gateway, client) = MirroredPair();
        byte[] record = Sealed(client, Payload);
        byte[] tampered = (byte[])record.Clone();
        tampered[offset < 0 ? tampered.Length + offset : offset] ^= 0x40;
        byte[] plaintext = new byte[200];

        Assert.Equal(DtlsOpenResult.AuthenticationFailed, gateway.Open(tampered, plaintext, out _, out _));
        Assert.Equal(DtlsOpenResult.Ok, gateway.Open(record, plaintext, out _, out _));
    }

    [Fact]
    public void Open_OtherEpoch_WrongEpoch()
    {
        var (gateway, client) = MirroredPair();
        byte[] record = Sealed(client, Payload);
        record[4] = 2;

        Assert.Equal(DtlsOpenResult.WrongEpoch, gateway.Open(record, new byte[200], out _, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    [InlineData(13 + 8 + 15)]
    public void Open_TooShort_Malformed(int length)
    {
        var (gateway, client) = MirroredPair();
        byte[] record = Sealed(client, []);

        Assert.Equal(DtlsOpenResult.Malformed, gateway.Open(record.AsSpan(0, Math.Min(length, record.Length)), new byte[200], out _, out _));
    }

    [Fact]
    public void Open_UnderOtherKeys_FailsAuthentication()
    {
        var (gateway, _) = MirroredPair();
        var (_, stranger) = MirroredPair();

        Assert.Equal(DtlsOpenResult.AuthenticationFailed, gateway.Open(Sealed(stranger, Payload), new byte[200], out _, out _));
    }

    [Fact]
    public void Seal_SequenceNumbers_StartWhereToldAndIncrease()
    {
        var (_, client) = MirroredPair(firstWriteSequence: 65536);

        byte[] first = Sealed(client, Payload);
        byte[] second = Sealed(client, Payload);

        Assert.True(DtlsRecord.TryReadHeader(first, out _, out ushort epoch, out ulong s1, out _));
        Assert.True(DtlsRecord.TryReadHeader(second, out _, out _, out ulong s2, out _));
        Assert.Equal(1, epoch);
        Assert.Equal(65536UL, s1);
        Assert.Equal(65537UL, s2);
    }

    [Fact]
    public void Seal_SequenceSpaceUsedUp_Throws()
    {
        var (_, client) = MirroredPair(firstWriteSequence: DtlsRecordProtection.MaxSequence);
        Sealed(client, Payload);

        Assert.Throws<InvalidOperationException>(() => Sealed(client, Payload));
    }

    [Fact]
    public void Seal_DestinationTooSmall_ThrowsNamingTheRoomNeeded()
    {
        var (_, client) = MirroredPair();

        var error = Assert.Throws<ArgumentException>(() => client.Seal(DtlsRecord.ApplicationData, Payload, new byte[10]));
        Assert.Contains((Payload.Length + DtlsRecordProtection.Overhead).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CouldBeNext_FreshNearbySequence_TrueOldOrFarOrOtherEpoch_False()
    {
        var (gateway, client) = MirroredPair();
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(DtlsOpenResult.Ok, gateway.Open(Sealed(client, Payload), new byte[200], out _, out _));
        }

        Assert.True(gateway.CouldBeNext(1, 100));
        Assert.True(gateway.CouldBeNext(1, 5000));
        Assert.False(gateway.CouldBeNext(1, 99));
        Assert.False(gateway.CouldBeNext(1, 10));
        Assert.False(gateway.CouldBeNext(2, 100));
        Assert.False(gateway.CouldBeNext(1, 1UL << 40));
    }

    [Fact]
    public void Overhead_IsWhatTheTunnelMtuLeavesRoomFor()
    {
        Assert.Equal(OpenTunnel.Protocol.Tunnel.TunnelMtu.DtlsRecordOverhead, DtlsRecordProtection.Overhead);
    }

    [Fact]
    public void ForServer_WrongKeyBlockLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => DtlsRecordProtection.ForServer(new byte[41], 16, 1, 0));
    }

    [Fact]
    public void ForClient_WrongKeyBlockLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => DtlsRecordProtection.ForClient(new byte[39], 16, 1, 0));
    }

    [Fact]
    public void ForClient_WritesWithTheClientKeyAndReadsWithTheServerKey()
    {
        byte[] block = new byte[DtlsRecordProtection.KeyBlockLength(16)];
        Random.Shared.NextBytes(block);
        using var client = DtlsRecordProtection.ForClient(block, 16, 1, 0);
        // The client's records as the key block's first key and first IV seal them (RFC 5246 §6.3).
        using var asServerReads = new DtlsRecordProtection(block.AsSpan(0, 16), block.AsSpan(32, 4), block.AsSpan(16, 16), block.AsSpan(36, 4), 1, 0);
        byte[] plaintext = [0, 1, 2, 3];
        byte[] opened = new byte[16];

        Assert.Equal(DtlsOpenResult.Ok, asServerReads.Open(Sealed(client, plaintext), opened, out _, out int length));
        Assert.Equal(plaintext, opened[..length]);
        Assert.Equal(DtlsOpenResult.Ok, client.Open(Sealed(asServerReads, plaintext), opened, out _, out length));
        Assert.Equal(plaintext, opened[..length]);
    }

    private static byte[] Sealed(DtlsRecordProtection protection, byte[] plaintext)
    {
        byte[] record = new byte[plaintext.Length + DtlsRecordProtection.Overhead];
        protection.Seal(DtlsRecord.ApplicationData, plaintext, record);
        return record;
    }

    /// <summary>A gateway side and a client side whose keys mirror each other.</summary>
    private static (DtlsRecordProtection Gateway, DtlsRecordProtection Client) MirroredPair(ulong firstWriteSequence = 0)
    {
        byte[] block = new byte[DtlsRecordProtection.KeyBlockLength(32)];
        Random.Shared.NextBytes(block);
        var gateway = DtlsRecordProtection.ForServer(block, 32, 1, firstWriteSequence);
        var client = DtlsRecordProtection.ForClient(block, 32, 1, firstWriteSequence);
        return (gateway, client);
    }
}
