using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Tests.Dtls;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Tests.Metrics;

[Trait("Category", "Unit")]
public sealed class DtlsMetricsTests
{
    [Fact]
    public void Register_GatewayCounters_DtlsInstrumentsReadTheirDtlsPartAndTheGatewayTotalsKeepBoth()
    {
        var counters = new PacketCounters();
        using var listener = new DtlsListener(new DtlsOptions(), dpdSeconds: 30, new DictionaryDtlsSessionDirectory(), counters, NullLogger<DtlsListener>.Instance);
        using var meter = new Meter("OpenTunnel.Gateway.Tests.DtlsMetrics");
        DtlsMetrics.Register(meter, listener);
        using var exposition = new PrometheusExposition(meter);
        counters.CountFromClient(Transport.Dtls, 60);
        counters.CountFromClient(Transport.Tls, 40);
        counters.CountToClient(Transport.Dtls, 30);
        counters.CountDrop(DtlsDropReason.Replayed);
        counters.CountHandshake(DtlsHandshakeResult.Succeeded);
        counters.CountHelloVerifyRequest();
        counters.CountRebind();

        string text = exposition.Collect();

        Assert.Contains("opentunnel_gateway_dtls_bytes_total{direction=\"from_client\"} 60\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_dtls_bytes_total{direction=\"to_client\"} 30\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_dtls_dropped_total{reason=\"replayed\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_dtls_dropped_total{reason=\"malformed\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_dtls_handshakes_total{result=\"succeeded\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_dtls_hello_verify_requests_total 1\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_dtls_rebinds_total 1\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_dtls_channels_active 0\n", text, StringComparison.Ordinal);
        Assert.Equal(100, counters.BytesFromClients);
    }
}
