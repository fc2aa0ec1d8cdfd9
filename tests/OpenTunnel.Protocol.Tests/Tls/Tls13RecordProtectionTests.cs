using System.Text;
using OpenTunnel.Protocol.Tls;

namespace OpenTunnel.Protocol.Tests.Tls;

[Trait("Category", "Unit")]
public sealed class Tls13RecordProtectionTests
{
    private static readonly byte[] Secret384 = Enumerable.Range(1, 48).Select(i => (byte)i).ToArray();

    [Theory]
    [InlineData(Tls13CipherSuite.Aes128GcmSha256, 32)]
    [InlineData(Tls13CipherSuite.Aes256GcmSha384, 48)]
    public void Seal_ThenOpenUnderTheSameSecret_GivesTheContentAndItsType(Tls13CipherSuite suite, int secretLength)
    {
        byte[] secret = Secret384[..secretLength];
        using var sender = Tls13RecordProtection.Create(suite, secret);
        using var receiver = Tls13RecordProtection.Create(suite, secret);
        byte[] content = Encoding.ASCII.GetBytes("STF\x01 one frame");
        byte[] record = new byte[content.Length + Tls13RecordProtection.Overhead];

        int length = sender.Seal(TlsContentType.ApplicationData, content, record);

        Assert.Equal(record.Length, length);
        Assert.Equal([23, 3, 3, 0, (byte)(content.Length + 17)], record[..5]);
        Assert.True(receiver.TryOpen(record, out var type, out var range));
        Assert.Equal(TlsContentType.ApplicationData, type);
        Assert.Equal(content, record[range]);
        Assert.Equal(1UL, receiver.Sequence);
    }

    [Fact]
    public void TryOpen_OneBitChanged_Fails_AndTheSequenceStays()
    {
        using var sender = Create();
        using var receiver = Create();
        byte[] record = Seal(sender, TlsContentType.ApplicationData, [1, 2, 3]);
        record[7] ^= 1;

        Assert.False(receiver.TryOpen(record, out _, out _));
        Assert.Equal(0UL, receiver.Sequence);
    }

    [Fact]
    public void TryOpen_RecordsOutOfOrder_TheSecondFails()
    {
        using var sender = Create();
        using var receiver = Create();
        byte[] first = Seal(sender, TlsContentType.ApplicationData, [1]);
        byte[] second = Seal(sender, TlsContentType.ApplicationData, [2]);

        // Opened in place: a record that fails is spoilt, so a copy is tried.
        Assert.False(receiver.TryOpen(second.ToArray(), out _, out _));
        Assert.True(receiver.TryOpen(first, out _, out _));
        Assert.True(receiver.TryOpen(second, out _, out var range));
        Assert.Equal([2], second[range]);
    }

    [Fact]
    public void TryOpen_PaddedRecord_TheTypeIsTheLastByteBeforeThePadding()
    {
        using var sender = Create();
        using var receiver = Create();
        // Sealed as "type 0" with the real type and no padding inside: the inner text ends 23, 0.
        byte[] record = Seal(sender, 0, [9, 8, (byte)TlsContentType.ApplicationData]);

        Assert.True(receiver.TryOpen(record, out var type, out var range));
        Assert.Equal(TlsContentType.ApplicationData, type);
        Assert.Equal([9, 8], record[range]);
    }

    [Fact]
    public void TryOpen_PaddingAlone_Fails()
    {
        using var sender = Create();
        using var receiver = Create();
        byte[] record = Seal(sender, 0, [0, 0]);

        Assert.False(receiver.TryOpen(record, out _, out _));
    }

    [Fact]
    public void FindSequence_RecordSealedFifth_FindsFour_AndTheNextRecordOpens()
    {
        using var sender = Create();
        using var receiver = Create();
        byte[] fifth = [];
        for (int i = 0; i < 5; i++)
        {
            fifth = Seal(sender, TlsContentType.ApplicationData, [(byte)i]);
        }

        byte[] untouched = fifth.ToArray();
        Assert.Equal(4UL, receiver.FindSequence(fifth, 64));
        Assert.Equal(untouched, fifth);
        Assert.True(receiver.TryOpen(Seal(sender, TlsContentType.ApplicationData, [5]), out _, out _));
    }

    [Fact]
    public void FindSequence_BeyondTheLimitOrOtherKeys_FindsNothing()
    {
        using var sender = Create();
        using var other = Tls13RecordProtection.Create(Tls13CipherSuite.Aes256GcmSha384, new byte[48]);
        for (int i = 0; i < 3; i++)
        {
            Seal(sender, TlsContentType.ApplicationData, [1]);
        }

        byte[] fourth = Seal(sender, TlsContentType.ApplicationData, [1]);

        Assert.Null(Create().FindSequence(fourth, 3));
        Assert.Null(other.FindSequence(fourth, 64));
    }

    [Fact]
    public void Update_OnBothSides_TheyStayInStep_AndTheOldKeyNoLongerOpens()
    {
        using var sender = Create();
        using var receiver = Create();
        using var stale = Create();
        Assert.True(receiver.TryOpen(Seal(sender, TlsContentType.ApplicationData, [1]), out _, out _));

        sender.Update();
        receiver.Update();
        byte[] record = Seal(sender, TlsContentType.ApplicationData, [2]);

        Assert.Equal(1UL, sender.Sequence);
        Assert.False(stale.TryOpen(record.ToArray(), out _, out _));
        Assert.True(receiver.TryOpen(record, out _, out var range));
        Assert.Equal([2], record[range]);
    }

    [Fact]
    public void Create_SecretOfTheWrongLength_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Tls13RecordProtection.Create(Tls13CipherSuite.Aes128GcmSha256, Secret384));
        Assert.Contains("32 bytes", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x1301, true)]
    [InlineData(0x1302, true)]
    [InlineData(0x1303, false)]
    [InlineData(0xc02f, false)]
    public void Supports_OnlyTheAesGcmSuites(int suite, bool supported) =>
        Assert.Equal(supported, Tls13RecordProtection.Supports((ushort)suite));

    private static Tls13RecordProtection Create() => Tls13RecordProtection.Create(Tls13CipherSuite.Aes256GcmSha384, Secret384);

    private static byte[] Seal(Tls13RecordProtection protection, TlsContentType type, byte[] content)
    {
        byte[] record = new byte[content.Length + Tls13RecordProtection.Overhead];
        protection.Seal(type, content, record);
        return record;
    }
}
