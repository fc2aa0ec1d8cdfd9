using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Tests.Dtls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Observability;

namespace OpenTunnel.Gateway.Tests.Metrics;

/// <summary>
/// The gateway's instruments through the endpoint it serves them on (the OpenTelemetry SDK's
/// Prometheus exporter on a real loopback socket): the names stay those of the gateway's docs, and
/// two gateways in one process each expose their own.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task TwoGatewaysInOneProcess_EachScrapeShowsItsOwnCountersOnly_ReadyFollowsItsChecks()
    {
        bool draining = false;
        await using var first = await ScrapedGateway.StartAsync(() => !draining);
        await using var second = await ScrapedGateway.StartAsync(() => true);
        first.Counters.CountFromClient(Transport.Tls, 60);
        second.Counters.CountFromClient(Transport.Tls, 7);
        first.Metrics.SignIn("success", "none");

        string firstScrape = await first.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        string secondScrape = await second.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        using HttpResponseMessage ready = await first.Client.GetAsync(new Uri("/healthz/ready", UriKind.Relative));
        draining = true;
        using HttpResponseMessage notReady = await first.Client.GetAsync(new Uri("/healthz/ready", UriKind.Relative));
        using HttpResponseMessage live = await first.Client.GetAsync(new Uri("/healthz/live", UriKind.Relative));

        Assert.Matches("""opentunnel_gateway_bytes_total\{[^}]*direction="from_client"[^}]*\} 60\n""", firstScrape);
        Assert.Matches("""opentunnel_gateway_bytes_total\{[^}]*direction="from_client"[^}]*\} 7\n""", secondScrape);
        Assert.Matches("""opentunnel_gateway_sessions_active\{[^}]*\} 0\n""", firstScrape);
        Assert.Matches("""opentunnel_gateway_sign_ins_total\{[^}]*reason="none",result="success"[^}]*\} 1\n""", firstScrape);
        Assert.DoesNotContain("opentunnel_gateway_sign_ins_total", secondScrape, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Equal("Unhealthy", JsonDocument.Parse(await notReady.Content.ReadAsStringAsync()).RootElement.GetProperty("checks").GetProperty("accepting-sessions").GetString());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task HandshakeHistogram_InSeconds_WithTheGatewaysBuckets()
    {
        await using var gateway = await ScrapedGateway.StartAsync(() => true);
        gateway.Metrics.HandshakeCompleted(TimeSpan.FromMilliseconds(3));

        string scrape = await gateway.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Matches("""opentunnel_gateway_tls_handshake_duration_seconds_bucket\{[^}]*le="0.0025"\} 0\n""", scrape);
        Assert.Matches("""opentunnel_gateway_tls_handshake_duration_seconds_bucket\{[^}]*le="0.005"\} 1\n""", scrape);
        Assert.Matches("""opentunnel_gateway_tls_handshake_duration_seconds_count\{[^}]*\} 1\n""", scrape);
    }

    [Fact]
    public async Task DtlsInstruments_ReadTheirDtlsPart_AndTheGatewayTotalsKeepBoth()
    {
        await using var gateway = await ScrapedGateway.StartAsync(() => true);
        using var listener = new DtlsListener(new DtlsOptions(), dpdSeconds: 30, new DictionaryDtlsSessionDirectory(), gateway.Counters, NullLogger<DtlsListener>.Instance);
        DtlsMetrics.Register(gateway.Metrics.Meter, listener);
        gateway.Counters.CountFromClient(Transport.Dtls, 60);
        gateway.Counters.CountFromClient(Transport.Tls, 40);
        gateway.Counters.CountToClient(Transport.Dtls, 30);
        gateway.Counters.CountDrop(DtlsDropReason.Replayed);
        gateway.Counters.CountHandshake(DtlsHandshakeResult.Succeeded);
        gateway.Counters.CountHelloVerifyRequest();
        gateway.Counters.CountRebind();

        string text = await gateway.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Matches("""opentunnel_gateway_dtls_bytes_total\{[^}]*direction="from_client"[^}]*\} 60\n""", text);
        Assert.Matches("""opentunnel_gateway_dtls_bytes_total\{[^}]*direction="to_client"[^}]*\} 30\n""", text);
        Assert.Matches("""opentunnel_gateway_dtls_dropped_total\{[^}]*reason="replayed"[^}]*\} 1\n""", text);
        Assert.Matches("""opentunnel_gateway_dtls_dropped_total\{[^}]*reason="malformed"[^}]*\} 0\n""", text);
        Assert.Matches("""opentunnel_gateway_dtls_handshakes_total\{[^}]*result="succeeded"[^}]*\} 1\n""", text);
        Assert.Matches("""opentunnel_gateway_dtls_hello_verify_requests_total\{[^}]*\} 1\n""", text);
        Assert.Matches("""opentunnel_gateway_dtls_rebinds_total\{[^}]*\} 1\n""", text);
        Assert.Matches("""opentunnel_gateway_dtls_channels_active\{[^}]*\} 0\n""", text);
        Assert.Matches("""opentunnel_gateway_bytes_total\{[^}]*direction="from_client"[^}]*\} 100\n""", text);
    }

    [Fact]
    public async Task OnIPv6Loopback_TheEndPointIsTheAddressWithThePortChosen_AndAnswers()
    {
        await using var gateway = await ScrapedGateway.StartAsync(() => true, IPAddress.IPv6Loopback);

        IPEndPoint endPoint = gateway.EndPoint;
        using HttpResponseMessage live = await gateway.Client.GetAsync(new Uri("/healthz/live", UriKind.Relative));

        Assert.Equal(IPAddress.IPv6Loopback, endPoint.Address);
        Assert.NotEqual(0, endPoint.Port);
        Assert.Equal($"[::1]:{endPoint.Port}", endPoint.ToString());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    /// <summary>One gateway's metrics as the gateway serves them: its own meter factory, instruments and endpoint.</summary>
    private sealed class ScrapedGateway : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly LoopbackHttpEndpoint _endpoint;

        private ScrapedGateway(ServiceProvider services, LoopbackHttpEndpoint endpoint, GatewayMetrics metrics, PacketCounters counters)
        {
            _services = services;
            _endpoint = endpoint;
            Metrics = metrics;
            Counters = counters;
            Client = new HttpClient { BaseAddress = endpoint.Address };
        }

        public GatewayMetrics Metrics { get; }

        public PacketCounters Counters { get; }

        public HttpClient Client { get; }

        public IPEndPoint EndPoint => _endpoint.EndPoint!;

        public static async Task<ScrapedGateway> StartAsync(Func<bool> acceptingSessions, IPAddress? address = null)
        {
            var collection = new ServiceCollection().AddMetrics().AddLogging();
            collection.AddHealthChecks().AddCheck("accepting-sessions", () => acceptingSessions() ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(), [HealthEndpoints.ReadyTag]);
            ServiceProvider services = collection.BuildServiceProvider();
            var counters = new PacketCounters();
            var meters = services.GetRequiredService<IMeterFactory>();
            var metrics = new GatewayMetrics(meters, new SessionTable(), counters);
            var endpoint = new LoopbackHttpEndpoint(new IPEndPoint(address ?? IPAddress.Loopback, 0), meters, [GatewayMetrics.MeterName],
                services.GetRequiredService<HealthCheckService>(), NullLoggerFactory.Instance);
            await endpoint.StartAsync(CancellationToken.None);
            return new ScrapedGateway(services, endpoint, metrics, counters);
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await _endpoint.StopAsync(CancellationToken.None);
            await _endpoint.DisposeAsync();
            await _services.DisposeAsync();
        }
    }
}
