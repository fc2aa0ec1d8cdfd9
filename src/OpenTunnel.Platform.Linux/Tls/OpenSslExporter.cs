using System.Runtime.InteropServices;
using OpenTunnel.Platform.Linux.Crypto;
using System.Text;

namespace OpenTunnel.Platform.Linux.Tls;

/// <summary>
/// Keying material from an established OpenSSL connection (RFC 5705; RFC 8446 §7.5 for TLS 1.3):
/// both ends derive the same bytes for the same label; nobody else can.
/// </summary>
internal static partial class OpenSslExporter
{
    /// <summary>
    /// <paramref name="length"/> bytes for <paramref name="label"/> from the <c>SSL*</c>
    /// <paramref name="ssl"/>, without a context value (as openconnect and ocserv export the DTLS
    /// PSK). Null when OpenSSL refuses (no handshake completed yet).
    /// </summary>
    public static byte[]? TryExport(nint ssl, string label, int length)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        byte[] labelBytes = Encoding.ASCII.GetBytes(label);
        byte[] output = new byte[length];
        return ExportKeyingMaterial(ssl, output, (nuint)output.Length, labelBytes, (nuint)labelBytes.Length, 0, 0, 0) == 1 ? output : null;
    }

    [LibraryImport(OpenSsl.LibSsl, EntryPoint = "SSL_export_keying_material")]
    private static partial int ExportKeyingMaterial(nint ssl, [Out] byte[] output, nuint outputLength, byte[] label, nuint labelLength, nint context, nuint contextLength, int useContext);
}
