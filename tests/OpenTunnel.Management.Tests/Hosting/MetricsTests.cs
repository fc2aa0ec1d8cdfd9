using System.Net;
using OpenTunnel.Observability;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Hosting;

/// <summary>
/// The Prometheus endpoint of the real service on 127.0.0.1 (a real socket, so the loopback rule
/// is the one in production): after an API request, a refused token request and database work,
/// the scrape names the requests by route and status, the database latency, the tokens refused
/// by reason and the long polls waiting; a forwarded request does not get the metrics.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MetricsTests
{
    [Fact]
    public async Task Scrape_FromLoopback_NamesTheServiceMetrics()
    {
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using ManagementApp app = ManagementApp.Start(database, null, listen: true);
        using var client = new HttpClient { BaseAddress = app.Address };
        using var sites = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sites");
        sites.Headers.Add("X-Api-Key", app.AdminKey);
        using HttpResponseMessage listed = await client.SendAsync(sites);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        using var refused = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = "no-such-client", ["client_secret"] = "wrong" });
        using HttpResponseMessage token = await client.PostAsync(new Uri("/connect/token", UriKind.Relative), refused);
        Assert.False(token.IsSuccessStatusCode, await token.Content.ReadAsStringAsync());

        using HttpResponseMessage scrape = await client.GetAsync(new Uri(PrometheusMetrics.Path, UriKind.Relative));
        string text = await scrape.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        AssertSeries(text, "http_server_request_duration_seconds_count{", "http_route=\"/api/v1/sites/\"", "http_response_status_code=\"200\"");
        AssertSeries(text, "opentunnel_management_database_duration_seconds_count{", "kind=\"reader\"", "result=\"ok\"");
        AssertSeries(text, "opentunnel_identity_tokens_total{", "result=\"refused\"", "reason=\"invalid_");
        AssertSeries(text, "opentunnel_management_agent_long_polls");
        AssertSeries(text, "opentunnel_management_agent_ca_not_after_seconds");
    }

    [Fact]
    public async Task Scrape_ForwardedByAProxy_GetsNoMetrics()
    {
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using ManagementApp app = ManagementApp.Start(database, null, listen: true);
        using var client = new HttpClient { BaseAddress = app.Address };
        using var forwarded = new HttpRequestMessage(HttpMethod.Get, PrometheusMetrics.Path);
        forwarded.Headers.Add("X-Forwarded-For", "198.18.0.7");

        using HttpResponseMessage scrape = await client.SendAsync(forwarded);
        string text = await scrape.Content.ReadAsStringAsync();

        Assert.DoesNotContain("# TYPE", text, StringComparison.Ordinal);
        Assert.DoesNotContain("opentunnel_", text, StringComparison.Ordinal);
    }

    /// <summary>A sample line of the scrape starting with <paramref name="prefix"/> that has every label given.</summary>
    private static void AssertSeries(string scrape, string prefix, params string[] labels) =>
        Assert.True(
            scrape.Split('\n').Any(l => l.StartsWith(prefix, StringComparison.Ordinal) && labels.All(label => l.Contains(label, StringComparison.Ordinal))),
            $"No series {prefix} with {string.Join(", ", labels)} in the scrape:\n{scrape}");
}
