using System.Security.Cryptography;
using System.Text;

namespace OpenTunnel.Management.Auth;

/// <summary>
/// API keys and enrolment tokens: 32 random bytes, base64url, with a prefix that says what the
/// secret is. They are stored as SHA-256 hex: with 256 bits of entropy a fast hash is enough,
/// and it lets a key be found by its hash.
/// </summary>
public static class ApiKeySecret
{
    public const string ApiKeyPrefix = "otk_";
    public const string EnrolmentTokenPrefix = "ote_";

    public static string NewApiKey() => ApiKeyPrefix + RandomPart();

    public static string NewEnrolmentToken() => EnrolmentTokenPrefix + RandomPart();

    public static string Hash(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }

    private static string RandomPart() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
