using System.Runtime.InteropServices;

namespace OpenTunnel.Testing;

internal static partial class NativeSignals
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
