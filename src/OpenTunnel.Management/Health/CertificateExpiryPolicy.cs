using System.Globalization;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Health;

/// <summary>
/// A certificate far from expiry is healthy, one within the warning days a warning, an expired
/// one unhealthy. One class serves the gateway's TLS certificate and the agent's own certificate.
/// </summary>
public sealed class CertificateExpiryPolicy : IServerHealthPolicy
{
    public static readonly CertificateExpiryPolicy Tls = new("tls-certificate", "The gateway's TLS certificate", s => s.TlsCertificateNotAfter);

    public static readonly CertificateExpiryPolicy Agent = new("agent-certificate", "The agent's certificate", s => s.AgentCertificateNotAfter);

    private readonly string _what;
    private readonly Func<TelemetrySample, DateTime?> _notAfter;

    private CertificateExpiryPolicy(string name, string what, Func<TelemetrySample, DateTime?> notAfter)
    {
        Name = name;
        _what = what;
        _notAfter = notAfter;
    }

    public string Name { get; }

    public HealthCheck? Evaluate(HealthInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Latest is null || _notAfter(input.Latest) is not { } notAfter)
        {
            return null;
        }

        TimeSpan left = notAfter - input.Now;
        int warningDays = input.Thresholds.CertificateWarningDays;
        if (left <= TimeSpan.Zero)
        {
            return new HealthCheck(Name, ServerHealth.Unhealthy, string.Create(CultureInfo.InvariantCulture, $"{_what} expired at {notAfter:u}."));
        }

        return left <= TimeSpan.FromDays(warningDays)
            ? new HealthCheck(Name, ServerHealth.Warning, string.Create(CultureInfo.InvariantCulture, $"{_what} expires in {left.TotalDays:0.#} days, at {notAfter:u} (warning within {warningDays} days)."))
            : new HealthCheck(Name, ServerHealth.Healthy, string.Create(CultureInfo.InvariantCulture, $"{_what} is valid until {notAfter:u}."));
    }
}
