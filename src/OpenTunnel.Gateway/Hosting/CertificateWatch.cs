using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Connections;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Trust;

namespace OpenTunnel.Gateway.Hosting;

/// <summary>
/// Keeps an eye on the server certificate in force. Within Tls:ExpiryWarningDays of its end it
/// warns in the log (at once, then daily) and the health check "certificate" is Degraded; expired
/// (or not valid yet) it logs an error hourly. A self-signed certificate is renewed instead, for
/// the same key so that clients' pins stay valid, and applied like a reload. The health check
/// stays Degraded rather than Unhealthy even when expired: a client that pins the key still
/// connects, so a balancer must not take every gateway of a site out at once.
/// </summary>
/// <param name="configuration">The configuration in force.</param>
/// <param name="apply">Applies settings as a reload does (<see cref="GatewayConfiguration.Apply"/>): how a renewed self-signed certificate comes into force.</param>
/// <param name="time">The clock.</param>
/// <param name="logger">Where the warnings go.</param>
internal sealed class CertificateWatch(IRunningConfiguration configuration, Func<GatewayOptions, string, RunningConfiguration> apply, TimeProvider time, ILogger logger) : IHealthCheck
{
    /// <summary>The name of the health check.</summary>
    public const string CheckName = "certificate";

    private static readonly TimeSpan RenewRetryEvery = TimeSpan.FromHours(1);

    private readonly ExpiryLogSchedule _schedule = new();
    private DateTimeOffset _renewTriedAt = DateTimeOffset.MinValue;

    /// <summary>The certificate in force against the clock now.</summary>
    public CertificateExpiry Current()
    {
        var running = configuration.Current;
        return running.Certificate.Expiry(time.GetUtcNow(), running.Options.Tls.ExpiryWarningDays);
    }

    /// <summary>Renews a self-signed certificate that is due and logs a certificate that needs the operator. One caller at a time (the gateway's sweep loop).</summary>
    public void Check()
    {
        var running = configuration.Current;
        DateTimeOffset now = time.GetUtcNow();
        var expiry = running.Certificate.Expiry(now, running.Options.Tls.ExpiryWarningDays);
        if (expiry.Validity == CertificateValidity.Valid)
        {
            return;
        }

        if (running.Options.Tls.CertificateFile is null)
        {
            if (now - _renewTriedAt >= RenewRetryEvery)
            {
                _renewTriedAt = now;
                TryRenewSelfSigned(running.Options);
            }

            return;
        }

        if (!_schedule.Due(running.Certificate.Certificate.Thumbprint, expiry, now))
        {
            return;
        }

        string subject = running.Certificate.Certificate.Subject;
        if (expiry.Validity == CertificateValidity.NotValid)
        {
            GatewayLog.CertificateNotValid(logger, subject, running.Certificate.Source, expiry.Describe());
        }
        else
        {
            GatewayLog.CertificateExpiresSoon(logger, subject, running.Certificate.Source, expiry.Describe(), running.Options.Tls.ExpiryWarningDays);
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var expiry = Current();
        return Task.FromResult(expiry.Validity == CertificateValidity.Valid ? HealthCheckResult.Healthy() : HealthCheckResult.Degraded(expiry.Describe()));
    }

    private void TryRenewSelfSigned(GatewayOptions options)
    {
        const string origin = "the self-signed certificate's renewal";
        try
        {
            // Loading the same settings renews the file (ServerCertificate.Load); applying them puts it in force.
            apply(options, origin);
        }
        catch (GatewayConfigurationException)
        {
            // Apply logged why; the certificate in force stays and renewal is tried again later.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            // Applying touches the host (nftables, the TUN device): a failure there must not end the sweep loop.
            GatewayLog.ConfigurationRefused(logger, origin, e.Message);
        }
    }
}
