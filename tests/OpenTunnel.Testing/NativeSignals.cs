using System.Runtime.InteropServices;

namespace OpenTunnel.Testing;

/// <summary>Signals to a process by PID (kill(2)); the harness never ends processes by name.</summary>
public static partial class NativeSignals
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
