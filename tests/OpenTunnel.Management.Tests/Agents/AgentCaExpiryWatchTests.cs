using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Settings;
using OpenTunnel.Management.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.Management.Tests.Agents;

/// <summary>The agents' CA (made for 20 years) against a fake clock moved by years.</summary>
[Trait("Category", "Unit")]
public sealed class AgentCaExpiryWatchTests : IDisposable
{
    private static readonly DateTimeOffset Made = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private readonly TemporaryDirectory _directory = new();
    private readonly TestClock _clock = new(Made);
    private readonly FakeLogCollector _logs = new();
    private readonly InternalCertificateAuthority _authority;
    private readonly AgentCaExpiryWatch _watch;

    public AgentCaExpiryWatchTests()
    {
        _authority = InternalCertificateAuthority.LoadOrCreate(_directory.Path, Made);
        _watch = new AgentCaExpiryWatch(_authority, Options.Create(new ManagementOptions()), _clock, new FakeLogger<AgentCaExpiryWatch>(_logs));
    }

    [Fact]
    public async Task Check_NineteenYearsOn_NoWarningAndHealthy()
    {
        _clock.Now += TimeSpan.FromDays(365 * 19);

        _watch.Check();

        Assert.Empty(_logs.GetSnapshot());
        Assert.Equal(HealthStatus.Healthy, (await _watch.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Fact]
    public async Task Check_WithinTheWarningDays_WarnsOnceADay_AndTheCheckIsDegraded()
    {
        // 20 years less 170 days: inside the default 180 days.
        _clock.Now += InternalCertificateAuthority.Lifetime - TimeSpan.FromDays(170);

        _watch.Check();
        _clock.Now += TimeSpan.FromHours(23);
        _watch.Check();
        _clock.Now += TimeSpan.FromHours(1);
        _watch.Check();
        HealthCheckResult health = await _watch.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal([2040, 2040], _logs.GetSnapshot().Select(r => r.Id.Id));
        Assert.Equal(LogLevel.Warning, _logs.LatestRecord.Level);
        Assert.Contains("expires ", _logs.LatestRecord.Message, StringComparison.Ordinal);
        Assert.Contains(_authority.Pin, _logs.LatestRecord.Message, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.StartsWith("the agents' CA expires ", health.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_AfterItsEnd_ErrorsHourly_AndTheCheckStaysDegraded()
    {
        _clock.Now += InternalCertificateAuthority.Lifetime + TimeSpan.FromDays(1);

        _watch.Check();
        _clock.Now += TimeSpan.FromMinutes(59);
        _watch.Check();
        _clock.Now += TimeSpan.FromMinutes(1);
        _watch.Check();

        Assert.Equal([2041, 2041], _logs.GetSnapshot().Select(r => r.Id.Id));
        Assert.Equal(LogLevel.Error, _logs.LatestRecord.Level);
        Assert.Equal(HealthStatus.Degraded, (await _watch.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Fact]
    public void Check_ALongerWarningWindow_WarnsEarlier()
    {
        var watch = new AgentCaExpiryWatch(_authority, Options.Create(new ManagementOptions { AgentCaExpiryWarningDays = 3650 }), _clock, new FakeLogger<AgentCaExpiryWatch>(_logs));
        _clock.Now += TimeSpan.FromDays(365 * 11);

        watch.Check();

        Assert.Equal(2040, Assert.Single(_logs.GetSnapshot()).Id.Id);
    }

    public void Dispose()
    {
        _watch.Dispose();
        _authority.Dispose();
        _directory.Dispose();
    }
}
