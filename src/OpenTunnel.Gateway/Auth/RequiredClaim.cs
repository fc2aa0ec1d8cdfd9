namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// A claim a token must carry for its bearer to get in, for example <c>compliance</c> = <c>compliant</c>,
/// or <c>groups</c> containing one of a set of group ids. A claim that is a JSON array matches when
/// any of its elements is one of <see cref="AnyOf"/>; values compare ordinally (case-sensitive).
/// </summary>
public sealed record RequiredClaim
{
    /// <summary>The claim name as it appears in the token payload. Required.</summary>
    public string Claim { get; set; } = "";

    /// <summary>Accepted values; empty means the claim only has to be present and not empty.</summary>
    public IReadOnlyList<string> AnyOf { get; set; } = [];
}
