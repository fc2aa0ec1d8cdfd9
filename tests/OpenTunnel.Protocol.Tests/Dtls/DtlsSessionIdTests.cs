using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Protocol.Tests.Dtls;

[Trait("Category", "Unit")]
public sealed class DtlsSessionIdTests
{
    [Fact]
    public void NewRandom_ToHex_Is64LowerCaseHexDigitsOfItsBytes()
    {
        var id = DtlsSessionId.NewRandom();

        string hex = id.ToHex();

        Assert.Equal(64, hex.Length);
        Assert.Matches("^[0-9a-f]{64}$", hex);
        Assert.Equal(Convert.FromHexString(hex), id.ToArray());
    }

    [Fact]
    public void NewRandom_TwoCalls_Differ()
    {
        Assert.NotEqual(DtlsSessionId.NewRandom(), DtlsSessionId.NewRandom());
    }

    [Fact]
    public void FromBytes_CopyTo_RoundTripsEveryByte()
    {
        byte[] bytes = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

        var id = DtlsSessionId.FromBytes(bytes);

        Assert.Equal(bytes, id.ToArray());
        Assert.Equal(Convert.ToHexStringLower(bytes), id.ToHex());
    }

    [Fact]
    public void FromBytes_WrongLength_ThrowsNamingTheLength()
    {
        var error = Assert.Throws<ArgumentException>(() => DtlsSessionId.FromBytes(new byte[31]));

        Assert.Contains("31", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Equality_SameBytes_EqualWithSameHash()
    {
        var a = DtlsSessionId.NewRandom();
        var b = DtlsSessionId.FromBytes(a.ToArray());

        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }
}
