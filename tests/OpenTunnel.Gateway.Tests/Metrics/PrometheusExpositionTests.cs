using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
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
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new GatewayMetrics(services.GetRequiredService<IMeterFactory>(), new SessionTable(), counters);
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

    [Fact]
    public void Collect_TwoGatewaysInOneProcess_EachExposesOnlyItsOwnMeasurements()
    {
        using var firstHost = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var secondHost = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var first = new GatewayMetrics(firstHost.GetRequiredService<IMeterFactory>(), new SessionTable(), new PacketCounters());
        var secondCounters = new PacketCounters();
        var second = new GatewayMetrics(secondHost.GetRequiredService<IMeterFactory>(), new SessionTable(), secondCounters);
        using var exposition = new PrometheusExposition(first.Meter);
        secondCounters.CountFromClient(Transport.Tls, 1000);
        second.SignIn("success", "none");
        first.SignIn("refused", "token-expired");

        string text = exposition.Collect();

        Assert.NotSame(first.Meter, second.Meter);
        Assert.Contains("opentunnel_gateway_bytes_total{direction=\"from_client\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("opentunnel_gateway_sign_ins_total{reason=\"token-expired\",result=\"refused\"} 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("result=\"success\"", text, StringComparison.Ordinal);
    }
}
