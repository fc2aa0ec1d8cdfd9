using System.Runtime.InteropServices;
using System.Text;

namespace OpenTunnel.Platform.Linux.Crypto;

/// <summary>
/// The OpenSSL 3 libraries the classes that call OpenSSL directly bind to (the ones .NET itself
/// loads on Linux), and the per-thread error queue they share.
/// </summary>
internal static partial class OpenSsl
{
    public const string LibCrypto = "libcrypto.so.3";
    public const string LibSsl = "libssl.so.3";

    /// <summary>Empties this thread's error queue, so that what a call leaves in it is its own.</summary>
    [LibraryImport(LibCrypto, EntryPoint = "ERR_clear_error")]
    public static partial void ClearErrors();

    /// <summary>This thread's error queue, oldest first, as text (and empties it).</summary>
    public static unsafe string LastError()
    {
        var text = new StringBuilder();
        byte* buffer = stackalloc byte[256];
        for (ulong code = ErrGetError(); code != 0; code = ErrGetError())
        {
            ErrErrorStringN(code, buffer, 256);
            text.Append(text.Length == 0 ? string.Empty : "; ").Append(Marshal.PtrToStringUTF8((nint)buffer));
        }

        return text.Length == 0 ? "no detail from OpenSSL" : text.ToString();
    }

    [LibraryImport(LibCrypto, EntryPoint = "ERR_get_error")]
    private static partial ulong ErrGetError();

    [LibraryImport(LibCrypto, EntryPoint = "ERR_error_string_n")]
    private static unsafe partial void ErrErrorStringN(ulong code, byte* buffer, nuint length);
}
