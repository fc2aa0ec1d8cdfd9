using System.Runtime.InteropServices;

namespace OpenTunnel.Platform.Linux.Processes;

/// <summary>Signals to a process by PID (kill(2)): .NET's Process only offers SIGKILL, and processes are never ended by name.</summary>
public static partial class ProcessSignals
{
    public const int Interrupt = 2;
    public const int Kill = 9;
    public const int Terminate = 15;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; 0 on success, -1 when the process is gone or not ours.</summary>
    public static int Send(int pid, int signal) => KillProcess(pid, signal);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillProcess(int pid, int signal);
}
