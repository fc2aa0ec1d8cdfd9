using System.Diagnostics.CodeAnalysis;
using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;

namespace OpenTunnel.Platform.Linux.Tls;

/// <summary>
/// The OpenSSL <c>SSL*</c> of a connection inside .NET's <see cref="SslStream"/> (the runtime's
/// private <c>SafeSslHandle</c>), for the OpenSSL calls .NET has no API for. Found once by a
/// search of the runtime's private fields; the path is then reused for every stream. Null where
/// the runtime keeps no such handle (another layout, another TLS library).
/// </summary>
internal static class SslStreamHandle
{
    private const string SslHandleTypeName = "SafeSslHandle";
    private const int MaxDepth = 3;

    private static FieldInfo[]? s_path;

    /// <summary>
    /// Runs <paramref name="call"/> on the connection's <c>SSL*</c>, which stays alive meanwhile.
    /// False when the handle cannot be found or is closed, or libssl.so.3 lacks the function.
    /// </summary>
    public static bool TryCall<T>(SslStream stream, Func<nint, T> call, out T result)
    {
        ArgumentNullException.ThrowIfNull(call);
        result = default!;
        if (Find(stream) is not { IsInvalid: false, IsClosed: false } ssl)
        {
            return false;
        }

        bool added = false;
        try
        {
            ssl.DangerousAddRef(ref added);
            result = call(ssl.DangerousGetHandle());
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
        finally
        {
            if (added)
            {
                ssl.DangerousRelease();
            }
        }
    }

    private static SafeHandle? Find(SslStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
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
        return Find(stream);
    }

    /// <summary>
    /// Breadth of the runtime's private fields, down to <see cref="MaxDepth"/>, until a SafeSslHandle
    /// (in .NET 10, SslStream._securityContext, a SafeDeleteSslContext, holds it); on another layout
    /// the search finds nothing and the caller goes without.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "The fields on the path are kept by the DynamicDependency attributes below (the gateway is one native executable); on another runtime layout the search finds nothing and the caller goes without.")]
    [DynamicDependency(DynamicallyAccessedMemberTypes.NonPublicFields, typeof(SslStream))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.NonPublicFields, "System.Net.Security.SafeDeleteContext", "System.Net.Security")]
    [DynamicDependency(DynamicallyAccessedMemberTypes.NonPublicFields, "System.Net.Security.SafeDeleteSslContext", "System.Net.Security")]
    [DynamicDependency(DynamicallyAccessedMemberTypes.NonPublicFields, "Microsoft.Win32.SafeHandles.SafeSslHandle", "System.Net.Security")]
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
}
