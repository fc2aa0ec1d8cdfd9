using System.Runtime.InteropServices;

namespace OpenTunnel.Testing;

/// <summary>
/// Runs code on a fresh OS thread that has joined a named network namespace (setns), so a test
/// can create a TUN device or a socket inside that namespace from the test process itself. The
/// thread ends afterwards, so no pooled thread is ever left in another namespace.
/// </summary>
public static partial class NamespaceThread
{
    private const int CLONE_NEWNET = 0x40000000;

    public static T Run<T>(string ns, Func<T> action)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(Path.Combine("/var/run/netns", ns));
                if (SetNs(handle.DangerousGetHandle().ToInt32(), CLONE_NEWNET) != 0)
                {
                    throw new InvalidOperationException($"setns into network namespace '{ns}' failed: errno {Marshal.GetLastPInvokeError()}.");
                }

                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException($"Code run in namespace '{ns}' failed: {failure.Message}", failure);
        }

        return result!;
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nsType);
}
