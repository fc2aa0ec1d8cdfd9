namespace OpenTunnel.Management.Domain;

/// <summary>The device side of a sign-in, as conditional access sees it; null when the client presents no device.</summary>
public sealed record AccessDevice(EnrolmentState EnrolmentState, ComplianceState ComplianceState);

/// <summary>Whether access is granted, and the reason, which the caller logs.</summary>
public sealed record AccessDecision(bool Allowed, string Reason);

/// <summary>
/// Decides whether a user may reach a site from a device. Pure: the identity provider calls it
/// before it issues a token for the gateway. Access is granted when any enabled policy that names
/// one of the user's groups and the site accepts the device; otherwise it is refused with the
/// reason of the closest refusal.
/// </summary>
public static class ConditionalAccessEvaluator
{
    public static AccessDecision Evaluate(
        IReadOnlyCollection<Guid> userGroupIds,
        Guid siteId,
        AccessDevice? device,
        IEnumerable<ConditionalAccessPolicy> policies)
    {
        ArgumentNullException.ThrowIfNull(userGroupIds);
        ArgumentNullException.ThrowIfNull(policies);
        string? refusal = null;
        foreach (ConditionalAccessPolicy policy in policies)
        {
            if (!policy.Enabled || !policy.SiteIds.Contains(siteId) || !policy.GroupIds.Exists(userGroupIds.Contains))
            {
                continue;
            }

            string? deviceRefusal = RefuseDevice(policy, device);
            if (deviceRefusal is null)
            {
                return new AccessDecision(true, $"Granted by policy '{policy.Name}'.");
            }

            refusal ??= deviceRefusal;
        }

        return new AccessDecision(false, refusal ?? "No enabled conditional-access policy gives the user's groups this site.");
    }

    private static string? RefuseDevice(ConditionalAccessPolicy policy, AccessDevice? device)
    {
        if (device?.EnrolmentState == EnrolmentState.Retired)
        {
            return "The device is retired.";
        }

        if (device?.EnrolmentState != EnrolmentState.Enrolled)
        {
            return policy.AllowUnenrolledDevices ? null : $"Policy '{policy.Name}' requires an enrolled device.";
        }

        if (policy.RequireCompliantDevice && device.ComplianceState != ComplianceState.Compliant)
        {
            return $"Policy '{policy.Name}' requires a compliant device; the device is {device.ComplianceState}.";
        }

        return null;
    }
}
