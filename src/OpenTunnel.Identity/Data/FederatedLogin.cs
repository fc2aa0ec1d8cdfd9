namespace OpenTunnel.Identity.Data;

/// <summary>
/// A user's account at an upstream provider: the user is matched by <see cref="Issuer"/> and
/// <see cref="Subject"/> (never by name), and the upstream refresh token kept from the last
/// sign-in is redeemed at the upstream whenever the user's refresh token is, so a user disabled
/// upstream loses access at the next refresh.
/// </summary>
public sealed class FederatedLogin
{
    public Guid Id { get; set; }

    /// <summary>The management service's user this account signs in as.</summary>
    public Guid UserId { get; set; }

    /// <summary>The upstream's issuer, as configured (<c>Identity:Upstreams:N:Issuer</c>).</summary>
    public string Issuer { get; set; } = "";

    /// <summary>The upstream's <c>sub</c> of the user: stable and never reassigned at the upstream.</summary>
    public string Subject { get; set; } = "";

    /// <summary>The upstream's refresh token, protected by <c>UpstreamTokens</c>; null when the upstream gave none.</summary>
    public string? RefreshToken { get; set; }

    public DateTime SignedInAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
