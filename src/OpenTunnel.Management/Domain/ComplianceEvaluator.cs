namespace OpenTunnel.Management.Domain;

/// <summary>What a device says about itself, the input of compliance evaluation.</summary>
public sealed record DeviceReport(
    Platform Platform,
    string OsVersion,
    EnrolmentState EnrolmentState,
    bool? DiskEncrypted,
    bool? FirewallEnabled);

/// <summary>The outcome of evaluation: the state, and one reason per unmet requirement.</summary>
public sealed record ComplianceResult(ComplianceState State, IReadOnlyList<string> Reasons);

/// <summary>
/// Evaluates a device report against compliance policies. Pure: the management API runs it on
/// every device write and policy change, and the identity provider calls it before issuing a
/// token. Like Intune's default, an enrolled device that no policy targets is compliant; a device
/// that is not enrolled cannot be evaluated and stays unknown.
/// </summary>
public static class ComplianceEvaluator
{
    public static ComplianceResult Evaluate(DeviceReport device, IEnumerable<CompliancePolicy> policies)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(policies);
        if (device.EnrolmentState != EnrolmentState.Enrolled)
        {
            return new ComplianceResult(ComplianceState.Unknown, [$"The device is {device.EnrolmentState}, not enrolled: compliance cannot be evaluated."]);
        }

        var reasons = new List<string>();
        foreach (CompliancePolicy policy in policies)
        {
            if (policy.Platform is { } platform && platform != device.Platform)
            {
                continue;
            }

            AddUnmetRequirements(device, policy, reasons);
        }

        return new ComplianceResult(reasons.Count == 0 ? ComplianceState.Compliant : ComplianceState.NonCompliant, reasons);
    }

    /// <summary>
    /// Compares dotted version numbers component by component ("14.10" is above "14.9"); a
    /// missing component counts as 0. Returns null when either is not dotted numbers.
    /// </summary>
    public static int? CompareVersions(string left, string right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        string[] a = left.Split('.');
        string[] b = right.Split('.');
        int comparison = 0;
        for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            if (!TryComponent(a, i, out long x) || !TryComponent(b, i, out long y))
            {
                return null;
            }

            if (comparison == 0)
            {
                comparison = x.CompareTo(y);
            }
        }

        return comparison;
    }

    private static bool TryComponent(string[] parts, int index, out long value)
    {
        if (index >= parts.Length)
        {
            value = 0;
            return true;
        }

        return long.TryParse(parts[index], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    private static void AddUnmetRequirements(DeviceReport device, CompliancePolicy policy, List<string> reasons)
    {
        if (policy.MinimumOsVersion is { } minimum)
        {
            int? comparison = CompareVersions(device.OsVersion, minimum);
            if (comparison is null)
            {
                reasons.Add($"Policy '{policy.Name}': OS version '{device.OsVersion}' cannot be compared with the minimum {minimum}.");
            }
            else if (comparison < 0)
            {
                reasons.Add($"Policy '{policy.Name}': OS version {device.OsVersion} is below the minimum {minimum}.");
            }
        }

        if (policy.RequireDiskEncryption && device.DiskEncrypted != true)
        {
            reasons.Add(device.DiskEncrypted is null
                ? $"Policy '{policy.Name}': disk encryption is required and the device did not report it."
                : $"Policy '{policy.Name}': disk encryption is required and the disk is not encrypted.");
        }

        if (policy.RequireFirewall && device.FirewallEnabled != true)
        {
            reasons.Add(device.FirewallEnabled is null
                ? $"Policy '{policy.Name}': a firewall is required and the device did not report it."
                : $"Policy '{policy.Name}': a firewall is required and it is off.");
        }
    }
}
