using System.Text;
using OpenTunnel.Protocol.Dtls;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Protocol.Tests.Dtls;

[Trait("Category", "Unit")]
public sealed class DtlsConnectAnswerTests
{
    private const string SessionHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    [Fact]
    public void FromConnectResponse_WhatTheGatewayBuilds_ReadsBackTheSameOffer()
    {
        var id = DtlsSessionId.NewRandom();
        var suite = DtlsCipherSuite.Select(DtlsCipherSuite.Offer(cisco: false), DtlsCipherSuite.Offer(cisco: true))!;
        var parameters = new OpenTunnel.Protocol.Tunnel.TunnelParameters
        {
            IPv4Address = System.Net.IPAddress.Parse("198.18.128.2"),
            IPv4PrefixLength = 24,
            LinkMtu = 1500,
            DataMtu = 1434,
            KeepaliveSeconds = 20,
            DpdSeconds = 30,
        };
        var headers = DtlsConnectHeaders.Build(id, 4443, suite, parameters);

        var answer = DtlsConnectAnswer.FromConnectResponse(Head(string.Concat(headers.Select(h => $"{h.Key}: {h.Value}\r\n"))));

        Assert.Equal(new DtlsConnectAnswer(id, 4443, suite, 30, 20, 1434), answer);
    }

    [Fact]
    public void FromConnectResponse_NoSessionId_IsNoDtls()
    {
        Assert.Null(DtlsConnectAnswer.FromConnectResponse(Head("X-CSTP-MTU: 1400\r\n")));
    }

    [Fact]
    public void FromConnectResponse_BothSuiteHeaders_TheDtls12OneCounts()
    {
        var answer = DtlsConnectAnswer.FromConnectResponse(Head($"X-DTLS-Session-ID: {SessionHex}\r\nX-DTLS-Port: 443\r\nX-DTLS-CipherSuite: OC-DTLS1_2-AES128-GCM\r\nX-DTLS12-CipherSuite: ECDHE-RSA-AES256-GCM-SHA384\r\n"))!;

        Assert.Equal(DtlsCipherSuite.EcdheRsaAes256GcmSha384, answer.Suite!.Code);
        Assert.Equal((0, 0, (int?)null), (answer.DpdSeconds, answer.KeepaliveSeconds, answer.Mtu));
    }

    [Fact]
    public void FromConnectResponse_OcservsPskAnswer_WhenOffered_IsPskModeWithTheAppId()
    {
        // What ocserv 1.1.6 answers a client that offered PSK-NEGOTIATE (worker-vpn.c connect_handler).
        var answer = DtlsConnectAnswer.FromConnectResponse(
            Head($"X-DTLS-Port: 443\r\nX-DTLS-DPD: 90\r\nX-DTLS-Keepalive: 32400\r\nX-DTLS-App-ID: {SessionHex}\r\nX-DTLS-CipherSuite: PSK-NEGOTIATE\r\nX-DTLS-MTU: 1434\r\n"),
            pskOffered: true)!;

        Assert.True(answer.IsPskNegotiate);
        Assert.Equal(Convert.FromHexString(SessionHex), answer.AppId);
        Assert.Null(answer.SessionId);
        Assert.Null(answer.Suite);
        Assert.Equal((443, 90, 32400, (int?)1434), (answer.Port, answer.DpdSeconds, answer.KeepaliveSeconds, answer.Mtu));
    }

    [Fact]
    public void FromConnectResponse_MasterSecretAnswer_WhenPskOffered_IsMasterSecretMode()
    {
        // Our gateway ignores PSK-NEGOTIATE in the offer and answers as before.
        var answer = DtlsConnectAnswer.FromConnectResponse(Head($"X-DTLS-Session-ID: {SessionHex}\r\nX-DTLS-Port: 443\r\nX-DTLS-CipherSuite: OC-DTLS1_2-AES256-GCM\r\n"), pskOffered: true)!;

        Assert.False(answer.IsPskNegotiate);
        Assert.Equal(DtlsCipherSuite.RsaAes256GcmSha384, answer.Suite!.Code);
    }

    [Theory]
    [InlineData("X-DTLS-Port: 443\r\nX-DTLS-CipherSuite: PSK-NEGOTIATE\r\n", "X-DTLS-App-ID")]
    [InlineData("X-DTLS-Port: 443\r\nX-DTLS-App-ID: 00zz\r\nX-DTLS-CipherSuite: PSK-NEGOTIATE\r\n", "X-DTLS-App-ID")]
    [InlineData("X-DTLS-Port: 443\r\nX-DTLS-App-ID: " + SessionHex + "00\r\nX-DTLS-CipherSuite: PSK-NEGOTIATE\r\n", "X-DTLS-App-ID")]
    [InlineData("X-DTLS-Port: 443\r\nX-DTLS-App-ID: " + SessionHex + "\r\nX-DTLS-CipherSuite: OC-DTLS1_2-AES256-GCM\r\n", "X-DTLS-CipherSuite")]
    [InlineData("X-DTLS-App-ID: " + SessionHex + "\r\nX-DTLS-CipherSuite: PSK-NEGOTIATE\r\n", "X-DTLS-Port")]
    public void FromConnectResponse_UnusablePskAnswer_ThrowsNamingTheHeader(string headers, string named)
    {
        var e = Assert.Throws<FormatException>(() => DtlsConnectAnswer.FromConnectResponse(Head(headers), pskOffered: true));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("X-DTLS-Session-ID: 0011\r\nX-DTLS-Port: 443\r\nX-DTLS-CipherSuite: OC-DTLS1_2-AES256-GCM\r\n", "X-DTLS-Session-ID")]
    [InlineData("X-DTLS-Session-ID: " + SessionHex + "\r\nX-DTLS-CipherSuite: OC-DTLS1_2-AES256-GCM\r\n", "X-DTLS-Port")]
    [InlineData("X-DTLS-Session-ID: " + SessionHex + "\r\nX-DTLS-Port: 70000\r\nX-DTLS-CipherSuite: OC-DTLS1_2-AES256-GCM\r\n", "X-DTLS-Port")]
    [InlineData("X-DTLS-Session-ID: " + SessionHex + "\r\nX-DTLS-Port: 443\r\nX-DTLS-CipherSuite: PSK-NEGOTIATE\r\n", "X-DTLS-CipherSuite")]
    [InlineData("X-DTLS-Session-ID: " + SessionHex + "\r\nX-DTLS-Port: 443\r\n", "CipherSuite")]
    [InlineData("X-DTLS-Session-ID: " + SessionHex + "\r\nX-DTLS-Port: 443\r\nX-DTLS-CipherSuite: OC-DTLS1_2-AES256-GCM\r\nX-DTLS-DPD: soon\r\n", "X-DTLS-DPD")]
    public void FromConnectResponse_UnusableValue_ThrowsNamingTheHeader(string headers, string named)
    {
        var e = Assert.Throws<FormatException>(() => DtlsConnectAnswer.FromConnectResponse(Head(headers)));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Offer_ListsEachHeadersSuitesMostPreferredFirst_AndTheGatewayPicksAes256()
    {
        Assert.Equal("OC-DTLS1_2-AES256-GCM:OC-DTLS1_2-AES128-GCM", DtlsCipherSuite.Offer(cisco: false));
        Assert.Equal("AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256", DtlsCipherSuite.Offer(cisco: true));
        Assert.Equal("AES256-GCM-SHA384", DtlsCipherSuite.Select(DtlsCipherSuite.Offer(false), DtlsCipherSuite.Offer(true))!.Name);
    }

    [Fact]
    public void TryParseHex_RoundTripsAndRefusesOtherLengthsAndNonHex()
    {
        var id = DtlsSessionId.NewRandom();
        Assert.True(DtlsSessionId.TryParseHex(id.ToHex().ToUpperInvariant(), out var parsed));
        Assert.Equal(id, parsed);
        Assert.False(DtlsSessionId.TryParseHex(SessionHex.AsSpan(0, 62), out _));
        Assert.False(DtlsSessionId.TryParseHex(SessionHex[..63] + "g", out _));
    }

    private static HttpResponseHead Head(string headers) =>
        HttpResponseHead.Parse(Encoding.ASCII.GetBytes("HTTP/1.1 200 CONNECTED\r\n" + headers.TrimEnd('\r', '\n')));
}
