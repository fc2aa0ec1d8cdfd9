using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace OpenTunnel.Identity.Devices;

/// <summary>
/// Reads the public key a device enrols with: a JSON Web Key, EC P-256 (preferred: small and what
/// TPM-backed keys offer) or RSA of at least 2048 bits, without any private part.
/// </summary>
public static class DeviceKeys
{
    public const int MinimumRsaBits = 2048;

    /// <summary>The key and its RFC 7638 thumbprint, or an error that names the problem.</summary>
    public static (JsonWebKey? Key, string? Thumbprint, string? Error) Parse(string? jwk)
    {
        if (string.IsNullOrWhiteSpace(jwk))
        {
            return (null, null, "publicKey is required: the device's public key as a JSON Web Key.");
        }

        JsonWebKey key;
        try
        {
            key = new JsonWebKey(jwk);
        }
        catch (Exception e) when (e is ArgumentException or JsonException)
        {
            return (null, null, $"publicKey is not a JSON Web Key ({e.Message}).");
        }

        if (key.HasPrivateKey || !string.IsNullOrEmpty(key.D) || !string.IsNullOrEmpty(key.P))
        {
            return (null, null, "publicKey contains a private key; send only the public part (the private key never leaves the device).");
        }

        string? error = key.Kty switch
        {
            JsonWebAlgorithmsKeyTypes.EllipticCurve when key.Crv != JsonWebKeyECTypes.P256 => $"publicKey is an EC key on curve '{key.Crv}'; only P-256 is accepted.",
            JsonWebAlgorithmsKeyTypes.EllipticCurve when string.IsNullOrEmpty(key.X) || string.IsNullOrEmpty(key.Y) => "publicKey is an EC key without x and y.",
            JsonWebAlgorithmsKeyTypes.RSA when string.IsNullOrEmpty(key.N) || string.IsNullOrEmpty(key.E) => "publicKey is an RSA key without n and e.",
            JsonWebAlgorithmsKeyTypes.RSA when Base64UrlEncoder.DecodeBytes(key.N).Length * 8 < MinimumRsaBits => $"publicKey is an RSA key shorter than {MinimumRsaBits} bits.",
            JsonWebAlgorithmsKeyTypes.EllipticCurve or JsonWebAlgorithmsKeyTypes.RSA => null,
            _ => $"publicKey has key type '{key.Kty}'; use EC (P-256) or RSA.",
        };
        if (error is not null)
        {
            return (null, null, error);
        }

        return (key, Base64UrlEncoder.Encode(key.ComputeJwkThumbprint()), null);
    }

    /// <summary>The public key alone, as stored (members in canonical order, nothing the device added).</summary>
    public static string Canonical(JsonWebKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Kty == JsonWebAlgorithmsKeyTypes.RSA
            ? JsonSerializer.Serialize(new Dictionary<string, string> { ["kty"] = key.Kty, ["n"] = key.N, ["e"] = key.E })
            : JsonSerializer.Serialize(new Dictionary<string, string> { ["kty"] = key.Kty, ["crv"] = key.Crv, ["x"] = key.X, ["y"] = key.Y });
    }
}
