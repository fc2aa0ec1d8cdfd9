using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Protocol.Tests.Dtls;

[Trait("Category", "Unit")]
public sealed class DtlsCipherSuiteTests
{
    // What openconnect 9.01 with GnuTLS offers on CONNECT (cstp.c, gather_dtls_ciphers).
    private const string OpenConnectOffer = "PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM:OC-DTLS1_2-AES128-GCM";
    private const string OpenConnectOffer12 = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-GCM-SHA256";

    [Theory]
    [InlineData("OC-DTLS1_2-AES256-GCM", null, "OC-DTLS1_2-AES256-GCM", 0x009D, "X-DTLS-CipherSuite")]
    [InlineData("OC-DTLS1_2-AES128-GCM", null, "OC-DTLS1_2-AES128-GCM", 0x009C, "X-DTLS-CipherSuite")]
    [InlineData(null, "AES256-GCM-SHA384", "AES256-GCM-SHA384", 0x009D, "X-DTLS12-CipherSuite")]
    [InlineData(null, "AES128-GCM-SHA256", "AES128-GCM-SHA256", 0x009C, "X-DTLS12-CipherSuite")]
    [InlineData(null, "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", 0xC030, "X-DTLS12-CipherSuite")]
    [InlineData(null, "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", 0xC02F, "X-DTLS12-CipherSuite")]
    public void Select_SingleOffer_PicksThatSuiteAndItsHeader(string? offer, string? offer12, string name, int code, string header)
    {
        var suite = DtlsCipherSuite.Select(offer, offer12);

        Assert.NotNull(suite);
        Assert.Equal(name, suite.Name);
        Assert.Equal(code, suite.Code);
        Assert.Equal(header, suite.HeaderName);
    }

    [Fact]
    public void Select_OpenConnectOffers_PrefersDtls12HeaderAndAes256()
    {
        var suite = DtlsCipherSuite.Select(OpenConnectOffer, OpenConnectOffer12);

        Assert.NotNull(suite);
        Assert.Equal("AES256-GCM-SHA384", suite.Name);
        Assert.Equal(32, suite.KeyLength);
    }

    [Fact]
    public void Select_OnlyLegacyHeader_PicksAes256WhateverTheOrder()
    {
        var suite = DtlsCipherSuite.Select("OC-DTLS1_2-AES128-GCM:OC-DTLS1_2-AES256-GCM", null);

        Assert.Equal("OC-DTLS1_2-AES256-GCM", suite?.Name);
    }

    [Fact]
    public void Select_Dtls12HeaderWithNothingUsable_FallsBackToLegacyHeader()
    {
        var suite = DtlsCipherSuite.Select("OC-DTLS1_2-AES128-GCM", "DHE-RSA-AES256-SHA");

        Assert.Equal("OC-DTLS1_2-AES128-GCM", suite?.Name);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "")]
    [InlineData("PSK-NEGOTIATE", null)]
    [InlineData("AES256-SHA:AES128-SHA:DES-CBC3-SHA", null)]
    [InlineData("AES256-GCM-SHA384", null)] // a Cisco name in the wrong header
    [InlineData(null, "OC-DTLS1_2-AES256-GCM")]
    public void Select_NothingUsable_ReturnsNull(string? offer, string? offer12)
    {
        Assert.Null(DtlsCipherSuite.Select(offer, offer12));
    }

    [Fact]
    public void Select_NamesWithSpaces_AreTrimmed()
    {
        Assert.Equal("OC-DTLS1_2-AES128-GCM", DtlsCipherSuite.Select(" PSK-NEGOTIATE : OC-DTLS1_2-AES128-GCM ", null)?.Name);
    }
}
