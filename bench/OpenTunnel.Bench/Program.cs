using System.Runtime.InteropServices;
using OpenTunnel.Bench;
using OpenTunnel.Testing;

// The benchmark of issue #8: OpenTunnel against ocserv and the direct path, in network namespaces.
// bench/run builds everything and starts this; see bench/README.md.
if (args.Contains("--help"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync("bench: " + e.Message + "\n\n" + BenchOptions.Usage);
    return 2;
}

// A signal stops the run; the using blocks of BenchRun then end every process and namespace it made.
using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var onHangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);
try
{
    await new BenchRun(options).RunAsync(stop.Token);
    return 0;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    BenchLog.Info("interrupted: everything the run started has been stopped and removed");
    return 130;
}
catch (PrerequisiteMissingException e)
{
    BenchLog.Info(e.Message);
    return 1;
}

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    BenchLog.Info($"{context.Signal}: stopping");
    stop.Cancel();
}
