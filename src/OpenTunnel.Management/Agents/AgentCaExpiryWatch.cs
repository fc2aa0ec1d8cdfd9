using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Settings;
using OpenTunnel.Trust;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// Keeps an eye on the end of the agents' internal CA (<see cref="InternalCertificateAuthority"/>,
/// made for 20 years), as the gateway's certificate watch does for its TLS certificate: within
/// <see cref="ManagementOptions.AgentCaExpiryWarningDays"/> of its end a warning in the log (at
/// once, then daily; an error hourly once it has ended) and the health check <see cref="CheckName"/>
/// Degraded; the gauge opentunnel.management.agent_ca.not_after gives its end. Checked hourly.
/// </summary>
public sealed partial class AgentCaExpiryWatch(InternalCertificateAuthority authority, IOptions<ManagementOptions> options, TimeProvider time, ILogger<AgentCaExpiryWatch> logger)
    : BackgroundService, IHealthCheck
{
    /// <summary>The name of the health check.</summary>
    public const string CheckName = "agent-ca";

    private static readonly TimeSpan CheckEvery = TimeSpan.FromHours(1);
    private readonly ExpiryLogSchedule _schedule = new();

    /// <summary>The CA against the clock now.</summary>
    public CertificateExpiry Current() => CertificateExpiry.Assess(
        new DateTimeOffset(authority.Certificate.NotBefore.ToUniversalTime()), new DateTimeOffset(authority.Certificate.NotAfter.ToUniversalTime()),
        time.GetUtcNow(), options.Value.AgentCaExpiryWarningDays);

    /// <summary>Logs the CA when it is due (see <see cref="ExpiryLogSchedule"/>). One caller at a time.</summary>
    public void Check()
    {
        CertificateExpiry expiry = Current();
        if (!_schedule.Due(authority.Certificate.Thumbprint, expiry, time.GetUtcNow()))
        {
            return;
        }

        if (expiry.Validity == CertificateValidity.NotValid)
        {
            LogNotValid(logger, authority.Pin, expiry.Describe());
        }
        else
        {
            LogExpiresSoon(logger, authority.Pin, expiry.Describe(), options.Value.AgentCaExpiryWarningDays);
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        CertificateExpiry expiry = Current();
        return Task.FromResult(expiry.Validity == CertificateValidity.Valid
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded($"the agents' CA {expiry.Describe()}"));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Check();
        using var timer = new PeriodicTimer(CheckEvery, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Check();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 2040, Level = LogLevel.Warning,
        Message = "The agents' internal CA ({Pin}) {State} (Management:AgentCaExpiryWarningDays {WarningDays}): agents cannot renew or enrol once it has ended; plan its replacement and the agents' new enrolment")]
    private static partial void LogExpiresSoon(ILogger logger, string pin, string state, int warningDays);

    [LoggerMessage(EventId = 2041, Level = LogLevel.Error,
        Message = "The agents' internal CA ({Pin}) is no longer valid: {State}; agents cannot connect, renew or enrol")]
    private static partial void LogNotValid(ILogger logger, string pin, string state);
}
