using System.Net.Security;
using System.Runtime.InteropServices;
using OpenTunnel.Platform.Linux.Crypto;

namespace OpenTunnel.Platform.Linux.Tls;

/// <summary>
/// Lets OpenSSL free a TLS connection's record buffers whenever they are empty
/// (<c>SSL_MODE_RELEASE_BUFFERS</c>). Without it every connection keeps a read and a write buffer
/// of about 17 KB each for its whole life, which is most of an idle VPN session's memory. .NET
/// does not set the mode and has no API for it, so this finds the connection's <c>SSL*</c> inside
/// <see cref="SslStream"/> (the runtime's <c>SafeSslHandle</c>) and sets the mode with
/// <c>SSL_ctrl</c> from the libssl .NET itself loaded (<see cref="SslStreamHandle"/>). Where the handle
/// cannot be found (another runtime layout, another TLS library) nothing changes and <see cref="TryEnable"/> says false.
/// </summary>
public static partial class OpenSslIdleBuffers
{
    private const int SslCtrlMode = 33;
    private const long SslModeReleaseBuffers = 0x10;

    /// <summary>Sets the mode on <paramref name="stream"/>'s connection; call after the handshake, before reads and writes start.</summary>
    public static bool TryEnable(SslStream stream)
    {
        long? mode = Control(stream, SslModeReleaseBuffers);
        return mode is { } m && (m & SslModeReleaseBuffers) != 0;
    }

    /// <summary>Whether the mode is set on <paramref name="stream"/>'s connection; null when its handle is not found.</summary>
    public static bool? IsEnabled(SslStream stream) =>
        Control(stream, 0) is { } mode ? (mode & SslModeReleaseBuffers) != 0 : null;

    private static long? Control(SslStream stream, long addMode) =>
        SslStreamHandle.TryCall(stream, ssl => SslCtrl(ssl, SslCtrlMode, addMode, 0), out long mode) ? mode : null;

    [LibraryImport(OpenSsl.LibSsl, EntryPoint = "SSL_ctrl")]
    private static partial long SslCtrl(nint ssl, int command, long larg, nint parg);
}
