using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;

namespace OpenTunnel.Platform.Linux.Tls;

/// <summary>
/// Lets OpenSSL free a TLS connection's record buffers whenever they are empty
/// (<c>SSL_MODE_RELEASE_BUFFERS</c>). Without it every connection keeps a read and a write buffer
/// of about 17 KB each for its whole life, which is most of an idle VPN session's memory. .NET
/// does not set the mode and has no API for it, so this finds the connection's <c>SSL*</c> inside
/// <see cref="SslStream"/> (the runtime's <c>SafeSslHandle</c>) and sets the mode with
/// <c>SSL_ctrl</c> from the libssl .NET itself loaded. Where the handle cannot be found (another
/// runtime layout, another TLS library) nothing changes and <see cref="TryEnable"/> says false.
/// </summary>
public static partial class OpenSslIdleBuffers
{
    private const int SslCtrlMode = 33;
    private const long SslModeReleaseBuffers = 0x10;
    private const string SslHandleTypeName = "SafeSslHandle";
    private const int MaxDepth = 3;

    private static FieldInfo[]? s_path;

    /// <summary>Sets the mode on <paramref name="stream"/>'s connection; call after the handshake, before reads and writes start.</summary>
    public static bool TryEnable(SslStream stream)
    {
        long? mode = Control(stream, SslModeReleaseBuffers);
        return mode is { } m && (m & SslModeReleaseBuffers) != 0;
    }

    /// <summary>Whether the mode is set on <paramref name="stream"/>'s connection; null when its handle is not found.</summary>
    public static bool? IsEnabled(SslStream stream) =>
        Control(stream, 0) is { } mode ? (mode & SslModeReleaseBuffers) != 0 : null;

    private static long? Control(SslStream stream, long addMode)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (FindHandle(stream) is not { IsInvalid: false, IsClosed: false } ssl)
        {
            return null;
        }

        bool added = false;
        try
        {
            ssl.DangerousAddRef(ref added);
            return SslCtrl(ssl.DangerousGetHandle(), SslCtrlMode, addMode, 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        finally
        {
            if (added)
            {
                ssl.DangerousRelease();
            }
        }
    }

    private static SafeHandle? FindHandle(SslStream stream)
    {
        if (s_path is { } known)
        {
            object? value = stream;
            foreach (var field in known)
            {
                value = value is null ? null : field.GetValue(value);
            }

            return value as SafeHandle;
        }

        if (Search(stream, [], 0) is not { } path)
        {
            return null;
        }

        s_path = path;
        return FindHandle(stream);
    }

    /// <summary>Breadth of the runtime's private fields, down to <see cref="MaxDepth"/>, until a SafeSslHandle.</summary>
    private static FieldInfo[]? Search(object owner, FieldInfo[] path, int depth)
    {
        for (var type = owner.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            {
                if (field.FieldType.IsValueType || field.FieldType == typeof(string) || field.GetValue(owner) is not { } value)
                {
                    continue;
                }

                FieldInfo[] here = [.. path, field];
                if (value is SafeHandle && value.GetType().Name == SslHandleTypeName)
                {
                    return here;
                }

                if (depth + 1 < MaxDepth && value is not Stream && value.GetType().Namespace?.StartsWith("System.Net", StringComparison.Ordinal) == true
                    && Search(value, here, depth + 1) is { } found)
                {
                    return found;
                }
            }
        }

        return null;
    }

    [LibraryImport("libssl.so.3", EntryPoint = "SSL_ctrl")]
    private static partial long SslCtrl(nint ssl, int command, long larg, nint parg);
}
