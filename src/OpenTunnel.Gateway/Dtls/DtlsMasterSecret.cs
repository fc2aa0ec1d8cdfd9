using System.Buffers;

namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// The client's <c>X-DTLS-Master-Secret</c>: 48 bytes sent as 96 hex digits on CONNECT
/// (openconnect cstp.c). In master-secret mode the DTLS handshake resumes a session whose
/// master secret is this value, so it is the whole key material of the DTLS channel.
/// </summary>
public static class DtlsMasterSecret
{
    /// <summary>Length of the master secret in bytes.</summary>
    public const int Length = 48;

    /// <summary>
    /// Parses the header value. Returns null with a reason when it is not exactly 96 hex digits;
    /// the gateway then offers no DTLS for that CONNECT instead of failing it.
    /// </summary>
    public static byte[]? Parse(ReadOnlySpan<char> headerValue, out string? error)
    {
        var hex = headerValue.Trim();
        if (hex.Length != 2 * Length)
        {
            error = $"X-DTLS-Master-Secret must be {2 * Length} hex digits; got {hex.Length} characters.";
            return null;
        }

        byte[] secret = new byte[Length];
        if (Convert.FromHexString(hex, secret, out _, out int written) != OperationStatus.Done || written != Length)
        {
            error = "X-DTLS-Master-Secret contains a character that is not a hex digit.";
            return null;
        }

        error = null;
        return secret;
    }
}
