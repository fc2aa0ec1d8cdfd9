using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace OpenTunnel.Testing.Tokens;

/// <summary>
/// The bad tokens a validator must refuse, made from a good compact JWS: unsigned, HMAC-signed with
/// the issuer's public key as the secret (the classic algorithm-confusion attack), altered after
/// signing, or re-signed with the issuer's private key after an edit (a missing claim, another
/// algorithm). Plain string and crypto work, so it needs nothing from the product.
/// </summary>
public static class ForgedTokens
{
    /// <summary>The same claims with header <c>{"alg":"none"}</c> and an empty signature.</summary>
    public static string Unsigned(string token)
    {
        (JsonObject header, JsonObject payload) = Decode(token);
        header["alg"] = "none";
        return Encode(header) + "." + Encode(payload) + ".";
    }

    /// <summary>The same claims signed with HS256, the key being the text of the issuer's public key (PEM).</summary>
    public static string HmacSignedWithPublicKey(string token, string publicKeyPem)
    {
        (JsonObject header, JsonObject payload) = Decode(token);
        header["alg"] = "HS256";
        string signingInput = Encode(header) + "." + Encode(payload);
        byte[] signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(publicKeyPem), Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>The token with one claim changed and the original signature kept.</summary>
    public static string WithAlteredClaim(string token, string claim, JsonNode value)
    {
        string[] parts = token.Split('.');
        (_, JsonObject payload) = Decode(token);
        payload[claim] = value;
        return parts[0] + "." + Encode(payload) + "." + parts[2];
    }

    /// <summary>The token edited by <paramref name="edit"/> and signed again with the RSA key in <paramref name="privateKeyPemPath"/> (RS256/384/512).</summary>
    public static string Resigned(string token, string privateKeyPemPath, Action<JsonObject, JsonObject> edit)
    {
        (JsonObject header, JsonObject payload) = Decode(token);
        edit(header, payload);
        string signingInput = Encode(header) + "." + Encode(payload);
        HashAlgorithmName hash = (string?)header["alg"] switch
        {
            "RS256" => HashAlgorithmName.SHA256,
            "RS384" => HashAlgorithmName.SHA384,
            "RS512" => HashAlgorithmName.SHA512,
            var other => throw new ArgumentException($"Resigned signs with RS256, RS384 or RS512, not '{other}'.", nameof(edit)),
        };
        using var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(privateKeyPemPath));
        byte[] signature = rsa.SignData(Encoding.ASCII.GetBytes(signingInput), hash, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>The public half of a PEM private key (RSA or EC), as SubjectPublicKeyInfo PEM.</summary>
    public static string PublicKeyPem(string privateKeyPemPath)
    {
        string pem = File.ReadAllText(privateKeyPemPath);
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return rsa.ExportSubjectPublicKeyInfoPem();
        }
        catch (CryptographicException)
        {
            using var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return ec.ExportSubjectPublicKeyInfoPem();
        }
    }

    private static (JsonObject Header, JsonObject Payload) Decode(string token)
    {
        string[] parts = token.Split('.');
        if (parts.Length != 3)
        {
            throw new ArgumentException("Expected a compact JWS (three parts).", nameof(token));
        }

        return (JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!.AsObject(), JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject());
    }

    private static string Encode(JsonObject part) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(part.ToJsonString()));
}
