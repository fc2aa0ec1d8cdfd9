using System.Net;
using OpenTunnel.Protocol.Dtls;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Protocol.Tests.Dtls;

[Trait("Category", "Unit")]
public sealed class DtlsConnectHeadersTests
{
    private static readonly TunnelParameters Parameters = new()
    {
        IPv4Address = IPAddress.Parse("198.18.128.2"),
        IPv4PrefixLength = 24,
        LinkMtu = 1500,
        DataMtu = 1434,
        KeepaliveSeconds = 32400,
        DpdSeconds = 90,
    };

    [Fact]
    public void Build_LegacySuite_CarriesEverythingOpenConnectNeeds()
    {
        var id = DtlsSessionId.NewRandom();
        var suite = DtlsCipherSuite.Select("PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM", null)!;

        var headers = DtlsConnectHeaders.Build(id, 443, suite, Parameters).ToDictionary(h => h.Key, h => h.Value);

        Assert.Equal(id.ToHex(), headers["X-DTLS-Session-ID"]);
        Assert.Equal(64, headers["X-DTLS-Session-ID"].Length);
        Assert.Equal("443", headers["X-DTLS-Port"]);
        Assert.Equal("90", headers["X-DTLS-DPD"]);
        Assert.Equal("32400", headers["X-DTLS-Keepalive"]);
        Assert.Equal("OC-DTLS1_2-AES256-GCM", headers["X-DTLS-CipherSuite"]);
        Assert.Equal("1434", headers["X-DTLS-MTU"]);
        Assert.False(headers.ContainsKey("X-DTLS12-CipherSuite"));
    }

    [Fact]
    public void Build_CiscoSuite_GoesInTheDtls12Header()
    {
        var suite = DtlsCipherSuite.Select(null, "AES128-GCM-SHA256")!;

        var headers = DtlsConnectHeaders.Build(DtlsSessionId.NewRandom(), 4443, suite, Parameters);

        Assert.Contains(headers, h => h.Key == "X-DTLS12-CipherSuite" && h.Value == "AES128-GCM-SHA256");
        Assert.DoesNotContain(headers, h => h.Key == "X-DTLS-CipherSuite");
    }
}
