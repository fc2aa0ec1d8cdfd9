using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Tests.Metrics;

/// <summary>The metrics and health endpoint on a real loopback socket.</summary>
[Trait("Category", "Integration")]
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Endpoint_ServesMetricsLiveAndReady_ReadyFollowsItsChecks()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new GatewayMetrics(services.GetRequiredService<IMeterFactory>(), new SessionTable(), new PacketCounters());
        using var exposition = new PrometheusExposition(metrics.Meter);
        bool draining = false;
        await using var endpoint = new MetricsEndpoint(new IPEndPoint(IPAddress.Loopback, 0), exposition,
            () => [new("listener", true), new("accepting-sessions", !draining)], NullLogger.Instance);
        endpoint.Start();
        using var client = new HttpClient { BaseAddress = new Uri($"http://{endpoint.LocalEndPoint}") };

        using HttpResponseMessage scrape = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        using HttpResponseMessage live = await client.GetAsync(new Uri("/healthz/live", UriKind.Relative));
        using HttpResponseMessage ready = await client.GetAsync(new Uri("/healthz/ready?probe=1", UriKind.Relative));
        draining = true;
        using HttpResponseMessage notReady = await client.GetAsync(new Uri("/healthz/ready", UriKind.Relative));
        using HttpResponseMessage other = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains("opentunnel_gateway_sessions_active", await scrape.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", JsonDocument.Parse(await live.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        JsonElement answer = JsonDocument.Parse(await notReady.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Unhealthy", answer.GetProperty("status").GetString());
        Assert.Equal("Unhealthy", answer.GetProperty("checks").GetProperty("accepting-sessions").GetString());
        Assert.Equal("Healthy", answer.GetProperty("checks").GetProperty("listener").GetString());
        Assert.Equal("application/json", notReady.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Theory]
    [InlineData("GET /metrics HTTP/1.1\r\n", "/metrics")]
    [InlineData("GET /healthz/ready?x=1 HTTP/1.1\r\n", "/healthz/ready")]
    [InlineData("POST /metrics HTTP/1.1\r\n", null)]
    [InlineData("GET /metrics", null)]
    public void RequestPath_ReadsTheGetPathWithoutQuery(string request, string? path) =>
        Assert.Equal(path, MetricsEndpoint.RequestPath(request));
}
