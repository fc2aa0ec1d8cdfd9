namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// The result of validating one access token. <see cref="Detail"/> is a sentence a person can act
/// on (it never contains the token); the other fields are set only when the token was accepted.
/// </summary>
public sealed record TokenValidationOutcome(TokenRefusal Refusal, string? UserName, string? DeviceId, string Detail)
{
    /// <summary>The claim in which the identity provider says how the device is managed (docs/identity.md).</summary>
    public const string ComplianceClaim = "compliance";

    /// <summary>The <see cref="ComplianceClaim"/> value of a token issued without a device (conditional access allowed unenrolled devices).</summary>
    public const string UnmanagedDevice = "unmanaged";

    public bool Succeeded => Refusal == TokenRefusal.None;

    /// <summary>The token's <see cref="ComplianceClaim"/> is <see cref="UnmanagedDevice"/>: the caller has no managed device (Network:UnmanagedAccess).</summary>
    public bool Unmanaged { get; init; }

    /// <summary>The <c>sub</c> claim.</summary>
    public string? Subject { get; init; }

    /// <summary>Values of the groups claim (<see cref="AuthOptions.GroupsClaim"/>); empty when it is absent.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>The <c>jti</c> claim, when the issuer sets one.</summary>
    public string? TokenId { get; init; }

    /// <summary>The token's <c>iat</c>, when the issuer sets one: a revocation after it refuses the token.</summary>
    public DateTimeOffset? IssuedAt { get; init; }

    /// <summary>The token's <c>exp</c>; a session should not outlive it without a new sign-in.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    public static TokenValidationOutcome Refused(TokenRefusal refusal, string detail) => new(refusal, null, null, detail);
}
