using System.Net.Security;
using System.Runtime.InteropServices;
using System.Text;

namespace OpenTunnel.Platform.Linux.Tls;

/// <summary>
/// Keying material exported from an established TLS connection (RFC 5705; RFC 8446 §7.5 for TLS
/// 1.3), which .NET's <see cref="SslStream"/> has no API for: <c>SSL_export_keying_material</c>
/// from the libssl .NET itself loaded, on the connection's <c>SSL*</c> (<see cref="SslStreamHandle"/>).
/// Both ends of the connection derive the same bytes for the same label; nobody else can.
/// </summary>
public static partial class OpenSslKeyingMaterial
{
    /// <summary>
    /// <paramref name="length"/> bytes for <paramref name="label"/>, without a context value (as
    /// openconnect and ocserv export the DTLS PSK). Null when the connection's handle cannot be
    /// found or OpenSSL refuses (no handshake completed yet).
    /// </summary>
    public static byte[]? TryExport(SslStream stream, string label, int length)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(label);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        byte[] labelBytes = Encoding.ASCII.GetBytes(label);
        byte[] output = new byte[length];
        return SslStreamHandle.TryCall(stream, ssl => ExportKeyingMaterial(ssl, output, (nuint)output.Length, labelBytes, (nuint)labelBytes.Length, 0, 0, 0), out int done) && done == 1
            ? output
            : null;
    }

    [LibraryImport("libssl.so.3", EntryPoint = "SSL_export_keying_material")]
    private static partial int ExportKeyingMaterial(nint ssl, [Out] byte[] output, nuint outputLength, byte[] label, nuint labelLength, nint context, nuint contextLength, int useContext);
}
