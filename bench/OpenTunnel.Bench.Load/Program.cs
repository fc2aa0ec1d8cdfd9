using OpenTunnel.Bench.Load;
using OpenTunnel.Bench.Load.Sessions;

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync("OpenTunnel.Bench.Load: " + e.Message + "\n\n" + LoadOptions.Usage);
    return 2;
}

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
return 0;
