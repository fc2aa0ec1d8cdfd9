using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Tests.Harness;
using OpenTunnel.Trust;

namespace OpenTunnel.Management.Tests.AdminConsole;

/// <summary>A server's own page: its telemetry charts and log collection.</summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task ServerPage_ChartsTheStoredTelemetry_WithAGapWhereNoSampleCame_AndValuesInText()
    {
        (string site, _) = await SiteAsync("tel");
        (string server, string name, _) = await EnrolledServerAsync(site);
        DateTime now = DateTime.UtcNow;

        // A week of samples every 10 minutes except for a silent day, then every minute for the last two hours except for a silent 20 minutes.
        var samples = new List<TelemetrySample>();
        for (DateTime at = now.AddDays(-7).AddMinutes(30); at < now.AddHours(-2); at = at.AddMinutes(10))
        {
            if (at < now.AddDays(-4) || at >= now.AddDays(-3))
            {
                samples.Add(Sample(samples.Count + 1, at, cpu: 20));
            }
        }

        for (DateTime at = now.AddHours(-2); at < now.AddSeconds(-30); at = at.AddMinutes(1))
        {
            if (at < now.AddMinutes(-40) || at >= now.AddMinutes(-20))
            {
                samples.Add(Sample(samples.Count + 1, at, cpu: 20 + (samples.Count % 5 * 10)));
            }
        }

        samples.Add(Sample(samples.Count + 1, now.AddSeconds(-10), cpu: 37.5));
        await IngestAsync(server, samples);

        IPage page = await service.SignInAsync(service.FullAdmin);
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                violations.Add(message.Text);
            }
        };
        await page.GotoAsync($"/console/sites/{site}");
        await page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Server {name}", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Last hour" })).ToHaveAttributeAsync("aria-current", "page");

        // The last hour: two lines with the silent 20 minutes between them, and the values in words.
        ILocator cpu = page.GetByRole(AriaRole.Img, new() { Name = "CPU", Exact = true });
        await Assertions.Expect(cpu).ToHaveAttributeAsync("aria-describedby", "cpu-desc");
        await Assertions.Expect(page.Locator("#cpu-desc")).ToContainTextAsync($"CPU use of server {name} from");
        await Assertions.Expect(cpu.Locator("polyline")).ToHaveCountAsync(2);
        ILocator cpuValues = page.Locator("figure", new() { Has = cpu }).Locator(".chart-values");
        await Assertions.Expect(cpuValues).ToContainTextAsync("minimum 20 %, maximum 60 %, last 37.5 %");
        ILocator throughput = page.Locator("figure", new() { Has = page.GetByRole(AriaRole.Img, new() { Name = "Throughput", Exact = true }) });
        await Assertions.Expect(throughput.Locator(".chart-values")).ToContainTextAsync("last 1.5 MB/s");
        await Assertions.Expect(throughput.Locator(".chart-values")).ToContainTextAsync("last 250 kB/s");
        await Assertions.Expect(throughput.Locator("polyline.line-2")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("figure", new() { HasText = "Sessions" }).Locator(".chart-values")).ToContainTextAsync("last 3 at");
        await Assertions.Expect(page.Locator("figure", new() { HasText = "Latency" }).Locator(".chart-values")).ToContainTextAsync("last 12 ms");
        await ConsoleService.ScreenshotAsync(page, "server-telemetry");

        // The week: every sample, in lines of at most 240 points; the silent day is a gap, the 20 minutes are shorter than an interval (42 min).
        await page.GetByRole(AriaRole.Link, new() { Name = "Last week" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Last week" })).ToHaveAttributeAsync("aria-current", "page");
        await Assertions.Expect(cpuValues).ToContainTextAsync($"({samples.Count} samples)");
        await Assertions.Expect(cpu.Locator("polyline")).ToHaveCountAsync(2);
        foreach (string points in await cpu.Locator("polyline").EvaluateAllAsync<string[]>("lines => lines.map(l => l.getAttribute('points'))"))
        {
            Assert.InRange(points.Split(' ').Length, 2, 240);
        }

        await ConsoleService.ScreenshotAsync(page, "server-telemetry-week");
        Assert.Equal("", await page.EvaluateAsync<string>("[...document.querySelectorAll('main [style]:not(input[type=hidden])')].map(e => e.outerHTML.slice(0, 200)).join('\\n')"));

        await page.SetViewportSizeAsync(390, 900);
        int overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"at 390 px the server page is {overflow} px wider than the screen");
        await ConsoleService.ScreenshotAsync(page, "server-telemetry-390px");
        Assert.Empty(violations);

        // A server without telemetry says so in every chart.
        (string silent, string silentName, _) = await EnrolledServerAsync(site);
        await page.GotoAsync($"/console/servers/{silent}?period=day");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Server {silentName}", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".chart-values dd")).ToHaveTextAsync(Enumerable.Repeat("no samples in this period.", 6).ToArray());
    }

    [Fact]
    public async Task ServerPage_CollectLogs_PendingUntilTheAgentAnswers_ThenDownloadsAsAFile_ReadOnlyIsRefused()
    {
        (string site, _) = await SiteAsync("logs");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        (string server, string name, System.Text.Json.JsonElement enrolment) = await EnrolledServerAsync(site, key);
        IPage page = await service.SignInAsync(service.FullAdmin);
        await page.GotoAsync($"/console/servers/{server}");
        await Assertions.Expect(page.GetByText("No logs have been collected from this server.")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Collect logs" }).ClickAsync();

        ILocator row = page.Locator("tbody tr").First;
        await Assertions.Expect(row).ToContainTextAsync("Pending");
        await Assertions.Expect(row).ToContainTextAsync($"user:{service.FullAdmin}");
        await Assertions.Expect(row).ToContainTextAsync("Waiting for the agent");
        System.Text.Json.JsonElement commands = (await service.Api.ReadAsync($"/api/v1/servers/{server}/commands")).Json;
        Assert.Equal("collectLogs", Assert.Single(commands.EnumerateArray()).GetProperty("kind").GetString());
        string command = commands[0].GetProperty("id").GetString()!;

        // The agent answers over its own mutual-TLS endpoint, as it does after running the command.
        const string Logs = "== agent (recent lines)\ninfo: OpenTunnel.Agent[400] Running command CollectLogs\n== gateway: no log file configured (GatewayLogFile)\n";
        using (HttpClient agent = AgentClient(enrolment, key))
        {
            using HttpResponseMessage answered = await agent.PostAsJsonAsync(AgentRoutes.CommandResult(Guid.Parse(command)), new CommandResult(true, Logs));
            Assert.Equal(HttpStatusCode.NoContent, answered.StatusCode);
        }

        await page.GetByRole(AriaRole.Link, new() { Name = "Check again" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("Succeeded");
        IDownload download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download the logs" }).ClickAsync());
        Assert.StartsWith($"opentunnel-logs-{name}-", download.SuggestedFilename, StringComparison.Ordinal);
        Assert.EndsWith(".txt", download.SuggestedFilename, StringComparison.Ordinal);
        Assert.Equal(Logs, await File.ReadAllTextAsync(await download.PathAsync()));
        await ConsoleService.ScreenshotAsync(page, "server-logs");
        IAPIResponse file = await page.Context.APIRequest.GetAsync($"/console/servers/{server}/logs/{command}");
        Assert.StartsWith("attachment;", file.Headers["content-disposition"], StringComparison.Ordinal);
        Assert.StartsWith("text/plain", file.Headers["content-type"], StringComparison.Ordinal);

        // A read-only administrator sees the collection and its file, but no button, and posting the form anyway is refused.
        IPage reader = await service.SignInAsync(service.ReadOnlyAdmin);
        await reader.GotoAsync($"/console/servers/{server}");
        await Assertions.Expect(reader.Locator("tbody tr").First).ToContainTextAsync("Succeeded");
        await Assertions.Expect(reader.GetByRole(AriaRole.Button, new() { Name = "Collect logs" })).ToHaveCountAsync(0);
        Assert.Equal(403, await PostFormAsync(reader, $"/console/servers/{server}", "collect-logs"));
        Assert.Single((await service.Api.ReadAsync($"/api/v1/servers/{server}/commands")).Json.EnumerateArray());
    }

    /// <summary>A server enrolled in <paramref name="site"/> through the API with an enrolment token (and <paramref name="key"/>, or a key thrown away); its id, name and the enrolment's answer.</summary>
    private async Task<(string Id, string Name, System.Text.Json.JsonElement Enrolment)> EnrolledServerAsync(string site, ECDsa? key = null)
    {
        string token = (await service.Api.CreateAsync($"/api/v1/sites/{site}/enrolment-tokens", new { })).Json.GetProperty("token").GetString()!;
        string name = ManagementAppFixture.Unique("gw");
        string request = key is null ? Objects.CertificateRequest(name) : new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        ApiResponse enrolled = await service.Api.CreateAsync("/api/v1/enrolment", new { token, serverName = name, certificateRequest = request });
        return (enrolled.Id, name, enrolled.Json);
    }

    /// <summary>An HTTPS client of the agent endpoint named at enrolment, with the server's client certificate, trusting the deployment's CA.</summary>
    private HttpClient AgentClient(System.Text.Json.JsonElement enrolment, ECDsa key)
    {
        var handler = (SocketsHttpHandler)DeploymentTrust.FromCaFile(Path.Combine(service.App.Database.DataDirectory, "agent-ca.pem"), "agent-ca.pem").CreateHandler();
        using X509Certificate2 certificate = X509Certificate2.CreateFromPem(enrolment.GetProperty("certificate").GetString());
        handler.SslOptions.ClientCertificates = [certificate.CopyWithPrivateKey(key)];
        return new HttpClient(handler) { BaseAddress = new Uri(enrolment.GetProperty("agentEndpoint").GetString()!) };
    }

    /// <summary>Stores <paramref name="samples"/> as the agent link does (its own ingest, in batches it accepts).</summary>
    private async Task IngestAsync(string server, List<TelemetrySample> samples)
    {
        await using AsyncServiceScope scope = service.App.Services.CreateAsyncScope();
        var ingest = scope.ServiceProvider.GetRequiredService<TelemetryIngest>();
        foreach (TelemetrySample[] batch in samples.Chunk(500))
        {
            TelemetryIngestResult result = await ingest.IngestAsync(Guid.Parse(server), new TelemetryBatch(batch), CancellationToken.None);
            Assert.True(result.Errors.IsValid && result.Acknowledgement is not null, "the telemetry batch was refused");
        }
    }

    private static TelemetrySample Sample(long sequence, DateTime at, double cpu) => new(
        sequence, at, cpu, MemoryPercent: 45, MemoryTotalBytes: 8L << 30, DiskFreeBytes: 20L << 30, Cores: 2, ActiveSessions: 3,
        BytesPerSecondIn: 1_500_000, BytesPerSecondOut: 250_000, LatencyMilliseconds: 12, TlsCertificateNotAfter: null, AgentCertificateNotAfter: null,
        SoftwareVersion: "1.0.0", AppliedConfigurationETag: null, InternalUrlReachable: true, InternalUrlCheckedAt: at, InternalUrlError: null, Draining: false, GatewayError: null);
}
