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
    /// Asks that the next <see cref="GetKeysAsync"/> fetch the keys again, because a token named an
    /// unknown key id (a key rotation). False when that was asked too recently to be done again.
    /// </summary>
    bool TryRequestRefresh();
}
