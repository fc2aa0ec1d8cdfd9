using OpenTunnel.Bench.Load;
using OpenTunnel.Bench.Load.Sessions;
using OpenTunnel.CommandLine;

return await CommandLineRunner.InvokeAsync(LoadOptions.Command(RunAsync), args, Console.Out, Console.Error, CancellationToken.None);

static async Task<int> RunAsync(LoadOptions options, CancellationToken _)
{
    // A signal ends the hold: every session then says DISCONNECT, and the "done" line is printed.
    using var stop = new StopSignals();
    var run = new LoadRun(options);
    RampResult ramp;
    try
    {
        ramp = await run.RampAsync(stop.Token);
    }
    catch (OperationCanceledException)
    {
        ramp = new RampResult(options.Sessions, run.Sessions.Count, 0, 0, 0, 0, 0, 0, new Dictionary<string, int> { ["interrupted"] = 1 }, new Dictionary<string, string>());
    }

    Console.WriteLine(new LoadEvent(LoadEvent.RampEvent, Ramp: ramp).ToJson());
    var hold = await run.HoldAsync(stop.Token);
    Console.WriteLine(new LoadEvent(LoadEvent.DoneEvent, Hold: hold).ToJson());
    return ExitCodes.Success;
}
