using OpenTunnel.Bench;
using OpenTunnel.Bench.Load;
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
using var stop = new StopSignals(signal => BenchLog.Info($"{signal}: stopping"));
try
{
    await new BenchRun(options).RunAsync(stop.Token);
    return 0;
}
catch (OperationCanceledException) when (stop.Stopped)
{
    BenchLog.Info("interrupted: everything the run started has been stopped and removed");
    return 130;
}
catch (PrerequisiteMissingException e)
{
    BenchLog.Info(e.Message);
    return 1;
}
