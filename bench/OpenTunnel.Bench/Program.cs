using OpenTunnel.Bench;
using OpenTunnel.Bench.Load;
using OpenTunnel.CommandLine;
using OpenTunnel.Testing;

// The benchmark of issue #8: OpenTunnel against ocserv and the direct path, in network namespaces.
// bench/run builds everything and starts this; see bench/README.md.
return await CommandLineRunner.InvokeAsync(BenchOptions.Command(RunAsync), args, Console.Out, Console.Error, CancellationToken.None);

static async Task<int> RunAsync(BenchOptions options, CancellationToken _)
{
    // A signal stops the run; the using blocks of BenchRun then end every process and namespace it made.
    using var stop = new StopSignals(signal => BenchLog.Info($"{signal}: stopping"));
    try
    {
        await new BenchRun(options).RunAsync(stop.Token);
        return ExitCodes.Success;
    }
    catch (OperationCanceledException) when (stop.Stopped)
    {
        BenchLog.Info("interrupted: everything the run started has been stopped and removed");
        return ExitCodes.Interrupted;
    }
    catch (PrerequisiteMissingException e)
    {
        BenchLog.Info(e.Message);
        return ExitCodes.Failure;
    }
}
