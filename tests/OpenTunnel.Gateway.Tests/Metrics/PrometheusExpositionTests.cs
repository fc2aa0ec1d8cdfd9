using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Tests.Metrics;

[Trait("Category", "Unit")]
public sealed class PrometheusExpositionTests
{
    [Fact]
    public void Collect_GatewayMeter_WritesPrometheusNamesAndValues()
    {
        var counters = new PacketCounters();
        using var metrics = new GatewayMetrics(new SessionTable(), counters);
        using var exposition = new PrometheusExposition(metrics.Meter);
        counters.CountFromClient(Transport.Tls, 100);
        counters.CountFromClient(Transport.Dtls, 50);
        counters.CountDrop(DropReason.SpoofedSource);
        metrics.SignIn("refused", "token-expired");
        metrics.SignIn("refused", "token-expired");
        metrics.HandshakeCompleted(TimeSpan.FromMilliseconds(7));

        string text = exposition.Collect();

        Assert.Contains("# TYPE opentunnel_gateway_sessions_active gauge\nopentunnel_gateway_sessions_active 0\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_bytes_total{direction=\"from_client\"} 150\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_packets_total{direction=\"from_client\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_packets_dropped_total{reason=\"spoofed_source\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_sign_ins_total{reason=\"token-expired\",result=\"refused\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_tls_handshake_duration_seconds_bucket{le=\"0.01\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_tls_handshake_duration_seconds_bucket{le=\"0.005\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_tls_handshake_duration_seconds_count 1\n", text, StringComparison.Ordinal);
    }
}
