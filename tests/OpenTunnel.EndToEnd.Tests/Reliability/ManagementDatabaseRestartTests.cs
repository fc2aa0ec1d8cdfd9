using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Reliability;

/// <summary>
/// PostgreSQL restarted under a running management service (docs/reliability.md, "PostgreSQL
/// restarted"): while it is down, reads and writes answer 503 with Retry-After and a problem that
/// says the database is unavailable, the service keeps running, and once PostgreSQL is back the
/// same service answers again, without a restart of its own.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ManagementDatabaseRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PostgresRestarted_RequestsAnswer503WhileItIsDown_AndTheServiceRecoversWithoutARestart()
    {
        using var postgres = PostgresServer.Start();
        using var data = new TemporaryDirectory();
        using var management = await ManagementProcess.StartAsync(data.Path, postgres.ConnectionString);
        HttpClient http = management.Api.Http;
        await management.Api.PostAsync("/api/v1/groups", new { name = "before" });
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(http.GetAsync("/api/v1/groups")));

        postgres.Stop();
        using (HttpResponseMessage read = await http.GetAsync("/api/v1/groups"))
        {
            string body = await read.Content.ReadAsStringAsync();
            Assert.True(read.StatusCode == HttpStatusCode.ServiceUnavailable, $"A read with the database down answered {(int)read.StatusCode}: {body}");
            Assert.NotNull(read.Headers.RetryAfter);
            Assert.Contains("database", body, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(http.PostAsJsonAsync("/api/v1/groups", new { name = "during" })));
        Assert.True(management.IsRunning, $"The service ended with the database down:\n{management.Output}");
        Assert.Contains("with 503: the database is unavailable", management.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("An unhandled exception has occurred", management.Output, StringComparison.Ordinal);

        postgres.StartServer();
        var back = Stopwatch.StartNew();
        HttpStatusCode first = await StatusAsync(http.GetAsync("/api/v1/groups"));
        Assert.True(first == HttpStatusCode.OK, $"The first read after PostgreSQL came back answered {(int)first}:\n{management.Output}");
        await management.Api.PostAsync("/api/v1/groups", new { name = "after" });
        string groups = await http.GetStringAsync("/api/v1/groups");
        Assert.Contains("\"before\"", groups, StringComparison.Ordinal);
        Assert.Contains("\"after\"", groups, StringComparison.Ordinal);
        Assert.DoesNotContain("\"during\"", groups, StringComparison.Ordinal);
        Assert.True(management.IsRunning);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first read and write after PostgreSQL came back: {back.Elapsed.TotalMilliseconds:0} ms"));
    }

    private static async Task<HttpStatusCode> StatusAsync(Task<HttpResponseMessage> request)
    {
        using HttpResponseMessage response = await request;
        return response.StatusCode;
    }
}
