using OpenTunnel.Gateway.Dtls;

namespace OpenTunnel.Gateway.Tests.Dtls;

[Trait("Category", "Unit")]
public sealed class DtlsMasterSecretTests
{
    [Fact]
    public void Parse_96HexDigits_Returns48Bytes()
    {
        byte[] expected = Enumerable.Range(0, 48).Select(i => (byte)(i * 5)).ToArray();

        byte[]? secret = DtlsMasterSecret.Parse(Convert.ToHexString(expected), out string? error);

        Assert.Null(error);
        Assert.Equal(expected, secret);
    }

    [Fact]
    public void Parse_SurroundingWhitespace_IsIgnored()
    {
        Assert.NotNull(DtlsMasterSecret.Parse(" " + new string('a', 96) + " ", out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    [InlineData(95)]
    [InlineData(97)]
    public void Parse_WrongLength_FailsNamingTheHeader(int length)
    {
        Assert.Null(DtlsMasterSecret.Parse(new string('a', length), out string? error));
        Assert.Contains("X-DTLS-Master-Secret", error, StringComparison.Ordinal);
        Assert.Contains("96", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NonHexCharacter_Fails()
    {
        Assert.Null(DtlsMasterSecret.Parse(new string('a', 95) + "z", out string? error));
        Assert.Contains("hex", error, StringComparison.Ordinal);
    }
}
