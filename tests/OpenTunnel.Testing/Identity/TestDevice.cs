using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OpenTunnel.Testing.Identity;

/// <summary>A device's key pair as the client keeps it, and the device assertions it signs.</summary>
public sealed class TestDevice
{
    private readonly ECDsaSecurityKey _key;

    private TestDevice(ECDsa key)
    {
        _key = new ECDsaSecurityKey(key);
        JsonWebKey jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(key.ExportParameters(includePrivateParameters: false))));
        PublicJwk = new Dictionary<string, string> { ["kty"] = jwk.Kty, ["crv"] = jwk.Crv, ["x"] = jwk.X, ["y"] = jwk.Y };
    }

    public string Id { get; set; } = "";

    public Dictionary<string, string> PublicJwk { get; }

    public static TestDevice Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>
    /// Enrols a new device key at <c>POST /api/v1/device-enrolment</c> with a user's
    /// <c>opentunnel.device</c> token and a Linux posture (disk encryption as <paramref name="diskEncrypted"/>, firewall and screen lock on).
    /// </summary>
    public static async Task<TestDevice> EnrolAsync(HttpClient http, string userToken, bool diskEncrypted = true)
    {
        var device = Generate();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/device-enrolment")
        {
            Content = JsonContent.Create(new
            {
                name = "laptop",
                platform = "Linux",
                osVersion = "12.8",
                diskEncrypted,
                firewallEnabled = true,
                screenLockEnabled = true,
                publicKey = device.PublicJwk,
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", userToken);
        using HttpResponseMessage enrolled = await http.SendAsync(request);
        string body = await enrolled.Content.ReadAsStringAsync();
        if (!enrolled.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Device enrolment answered {(int)enrolled.StatusCode}: {body}");
        }

        using JsonDocument json = JsonDocument.Parse(body);
        device.Id = json.RootElement.GetProperty("deviceId").GetString()!;
        return device;
    }

    /// <summary>A device assertion for <paramref name="audience"/>, signed by this key (or, to forge, by <paramref name="signer"/>'s).</summary>
    public string Assertion(string audience, TimeSpan? lifetime = null, string? jti = null, TestDevice? signer = null, string? deviceId = null)
    {
        DateTime now = DateTime.UtcNow;
        string id = deviceId ?? Id;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = id,
            Audience = audience,
            Claims = new Dictionary<string, object> { ["sub"] = id, ["jti"] = jti ?? Guid.NewGuid().ToString() },
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? TimeSpan.FromMinutes(1)),
            SigningCredentials = new SigningCredentials((signer ?? this)._key, SecurityAlgorithms.EcdsaSha256),
        });
    }
}
