using Microsoft.IdentityModel.Tokens;

namespace OpenTunnel.Gateway.Auth;

/// <summary>Where the validator takes the issuer's public signing keys from (discovery or a JWKS file).</summary>
internal interface ISigningKeySource : IDisposable
{
    /// <summary>Names the source in logs and refusal details, e.g. "JWKS file /etc/x.json".</summary>
    string Description { get; }

    /// <summary>The current keys; throws <see cref="SigningKeysUnavailableException"/> when there are none to be had.</summary>
    Task<ICollection<SecurityKey>> GetKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Gets the keys again because a token named <paramref name="keyId"/>, which <paramref name="stale"/>
    /// (what <see cref="GetKeysAsync"/> returned) lacks: usually a key rotation. Returns the keys that
    /// another sign-in fetched meanwhile, else fetches; null when a fetch for this reason was done too
    /// recently to do another.
    /// </summary>
    Task<ICollection<SecurityKey>?> RefreshAsync(ICollection<SecurityKey> stale, string keyId, CancellationToken cancellationToken);
}
