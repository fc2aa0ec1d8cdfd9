using OtpNet;

namespace OpenTunnel.Identity.Credentials;

/// <summary>
/// TOTP second factor (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits, what every authenticator
/// app speaks). A code of the step before or after is accepted for clock drift, and a step once
/// used is refused after, so a code seen over a shoulder cannot be replayed.
/// </summary>
public static class TotpCode
{
    public static string NewSecret() => Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20));

    /// <summary>The <c>otpauth://</c> URI authenticator apps read (usually from a QR code).</summary>
    public static string ProvisioningUri(string issuer, string userName, string secret) =>
        $"otpauth://totp/{Uri.EscapeDataString(issuer)}:{Uri.EscapeDataString(userName)}?secret={secret}&issuer={Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits=6&period=30";

    /// <summary>The time step the code belongs to, or null when it is wrong or its step is not after <paramref name="lastUsedStep"/>.</summary>
    public static long? Verify(string secret, string code, DateTimeOffset now, long? lastUsedStep)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (code.Length != 6 || !code.All(char.IsAsciiDigit))
        {
            return null;
        }

        var totp = new Totp(Base32Encoding.ToBytes(secret));
        if (!totp.VerifyTotp(now.UtcDateTime, code, out long step, VerificationWindow.RfcSpecifiedNetworkDelay))
        {
            return null;
        }

        return lastUsedStep is { } last && step <= last ? null : step;
    }

    /// <summary>The code for <paramref name="now"/>: for tests and for showing an administrator that set-up worked.</summary>
    public static string Compute(string secret, DateTimeOffset now) => new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(now.UtcDateTime);
}
