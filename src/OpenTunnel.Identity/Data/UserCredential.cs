namespace OpenTunnel.Identity.Data;

/// <summary>
/// A user's credentials, kept by the identity provider beside the management service's user
/// (same id). Only hashes and the TOTP secret (encrypted, see <c>TotpSeeds</c>) are stored, never a password.
/// </summary>
public sealed class UserCredential
{
    public Guid UserId { get; set; }

    /// <summary>ASP.NET Core Identity's PBKDF2 hash (<c>PasswordHasher</c> v3 format); null until an administrator sets a password.</summary>
    public string? PasswordHash { get; set; }

    /// <summary>The TOTP secret (RFC 6238, base32) protected by <c>TotpSeeds</c>, when the second factor is on; null when off.</summary>
    public string? TotpSecret { get; set; }

    /// <summary>The last TOTP time step accepted, so one code cannot be used twice.</summary>
    public long? TotpLastStep { get; set; }

    /// <summary>When an administrator last revoked the user's sessions: tokens authenticated before it are refused.</summary>
    public DateTime? SessionsRevokedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
