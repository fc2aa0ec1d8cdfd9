using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Health;

/// <summary>Checks thresholds before they are stored, naming each field.</summary>
public static class HealthThresholdsValidator
{
    public static ValidationErrors Validate(HealthThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        var errors = new ValidationErrors();
        errors.RequireRange("checkInMinutes", thresholds.CheckInMinutes, 1, 1440);
        RequirePercents(errors, "cpu", thresholds.CpuHealthyMaximumPercent, thresholds.CpuUnhealthyPercent);
        RequirePercents(errors, "memory", thresholds.MemoryHealthyMaximumPercent, thresholds.MemoryUnhealthyPercent);
        errors.RequireRange("certificateWarningDays", thresholds.CertificateWarningDays, 1, 365);
        if (thresholds.LatencyWarningMilliseconds is <= 0 or > 60_000)
        {
            errors.Add("latencyWarningMilliseconds", $"is {thresholds.LatencyWarningMilliseconds}; it must be above 0 and at most 60000.");
        }

        if (thresholds.LatencyUnhealthyMilliseconds < thresholds.LatencyWarningMilliseconds || thresholds.LatencyUnhealthyMilliseconds > 60_000)
        {
            errors.Add("latencyUnhealthyMilliseconds", $"is {thresholds.LatencyUnhealthyMilliseconds}; it must be at least latencyWarningMilliseconds ({thresholds.LatencyWarningMilliseconds}) and at most 60000.");
        }

        if (thresholds.MaximumSessions is { } maximum)
        {
            errors.RequireRange("maximumSessions", maximum, 1, 1_000_000);
        }

        return errors;
    }

    private static void RequirePercents(ValidationErrors errors, string prefix, double healthyMaximum, double unhealthy)
    {
        if (healthyMaximum is < 1 or > 100)
        {
            errors.Add($"{prefix}HealthyMaximumPercent", $"is {healthyMaximum}; it must be between 1 and 100.");
        }

        if (unhealthy < healthyMaximum || unhealthy > 100)
        {
            errors.Add($"{prefix}UnhealthyPercent", $"is {unhealthy}; it must be at least {prefix}HealthyMaximumPercent ({healthyMaximum}) and at most 100.");
        }
    }
}
