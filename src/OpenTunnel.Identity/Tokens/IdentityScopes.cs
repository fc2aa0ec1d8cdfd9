namespace OpenTunnel.Identity.Tokens;

/// <summary>The scopes the provider knows besides <c>openid</c>, <c>profile</c> and <c>offline_access</c>.</summary>
public static class IdentityScopes
{
    /// <summary>An access token for the gateways (audience <c>Identity:GatewayAudience</c>); conditional access runs before it is issued.</summary>
    public const string Gateway = "opentunnel.gateway";

    /// <summary>An access token for device enrolment and posture reports at the management service.</summary>
    public const string Device = "opentunnel.device";

    /// <summary>An access token for the management API, for automation clients (client credentials); carries the client's role.</summary>
    public const string Management = "opentunnel.management";
}

/// <summary>Claims the provider puts in tokens besides the registered ones (docs/identity.md lists them).</summary>
public static class IdentityClaims
{
    public const string Groups = "groups";
    public const string DeviceId = "device_id";
    public const string Compliance = "compliance";
    public const string Site = "site";
    public const string Role = "role";
    public const string AuthTime = "auth_time";

    /// <summary>The upstream provider a federated user signed in through (its configured name); absent for a local sign-in.</summary>
    public const string Upstream = "idp";

    /// <summary>Token request parameter that names the site (id or name) a gateway token is for.</summary>
    public const string SiteParameter = "site";

    /// <summary>The <c>compliance</c> claim's value for each state; <c>unmanaged</c> when no device was presented.</summary>
    public static string ComplianceValue(Contracts.DirectoryDevice? device) => device switch
    {
        null => "unmanaged",
        { Compliance: Contracts.DeviceCompliance.Compliant } => "compliant",
        { Compliance: Contracts.DeviceCompliance.NonCompliant } => "noncompliant",
        _ => "unknown",
    };
}
