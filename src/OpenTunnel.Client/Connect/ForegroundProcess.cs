using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using OpenTunnel.Platform.Linux.Processes;

namespace OpenTunnel.Client.Connect;

/// <summary>
/// Runs a program that keeps the terminal (openconnect for <c>connect</c>, the command of
/// <c>run</c>): SIGINT and SIGTERM sent to the client are passed on instead of ending it, so the
/// program ends cleanly and its exit code is the client's.
/// </summary>
public static class ForegroundProcess
{
    /// <summary>The program's exit code; <c>null</c> when it cannot be started (not installed).</summary>
    public static async Task<int?> RunAsync(ProcessStartInfo info)
    {
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new Win32Exception();
        }
        catch (Win32Exception)
        {
            return null;
        }

        using (process)
        using (Forward(PosixSignal.SIGINT, ProcessSignals.Interrupt, process))
        using (Forward(PosixSignal.SIGTERM, ProcessSignals.Terminate, process))
        {
            await process.WaitForExitAsync(CancellationToken.None);
            return process.ExitCode;
        }
    }

    /// <summary>While registered, <paramref name="signal"/> does not end the client; it goes to the program, whose exit ends the client.</summary>
    private static PosixSignalRegistration Forward(PosixSignal signal, int number, Process process) =>
        PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            _ = ProcessSignals.Send(process.Id, number);
        });
}
