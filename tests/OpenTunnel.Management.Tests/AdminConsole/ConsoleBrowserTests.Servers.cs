using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.AdminConsole;

/// <summary>A server's own page: its telemetry charts.</summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task ServerPage_ChartsTheStoredTelemetry_WithAGapWhereNoSampleCame_AndValuesInText()
    {
        (string site, _) = await SiteAsync("tel");
        (string server, string name) = await EnrolledServerAsync(site);
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
        Assert.Equal("", await page.EvaluateAsync<string>("[...document.querySelectorAll('main [style]')].map(e => e.outerHTML.slice(0, 200)).join('\\n')"));

        await page.SetViewportSizeAsync(390, 900);
        int overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"at 390 px the server page is {overflow} px wider than the screen");
        await ConsoleService.ScreenshotAsync(page, "server-telemetry-390px");
        Assert.Empty(violations);

        // A server without telemetry says so in every chart.
        (string silent, string silentName) = await EnrolledServerAsync(site);
        await page.GotoAsync($"/console/servers/{silent}?period=day");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Server {silentName}", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".chart-values dd")).ToHaveTextAsync(Enumerable.Repeat("no samples in this period.", 6).ToArray());
    }

    /// <summary>A server enrolled in <paramref name="site"/> through the API with an enrolment token.</summary>
    private async Task<(string Id, string Name)> EnrolledServerAsync(string site)
    {
        string token = (await service.Api.CreateAsync($"/api/v1/sites/{site}/enrolment-tokens", new { })).Json.GetProperty("token").GetString()!;
        string name = ManagementAppFixture.Unique("gw");
        return ((await service.Api.CreateAsync("/api/v1/enrolment", new { token, serverName = name, certificateRequest = Objects.CertificateRequest(name) })).Id, name);
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
