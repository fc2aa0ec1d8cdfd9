using System.Diagnostics;
using System.Globalization;
using OpenTunnel.EndToEnd.Tests.Gateway;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Reliability;

/// <summary>
/// Connect/disconnect churn against one real gateway (docs/reliability.md, "Churn"): openconnect
/// signs in, brings its tunnel up and disconnects, again and again. After the cycles the gateway
/// holds no session or lease, no more file descriptors, threads or memory than the stated bounds
/// above what it held before, and the same nftables ruleset. The number of cycles is
/// <c>OPENTUNNEL_CHURN_CYCLES</c> (default 40, the suite's variant; the documented long run is 1,000).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayChurnTests(ITestOutputHelper output)
{
    /// <summary>Cycles before the first measurement: the JIT, the thread pool and the allocator settle.</summary>
    private const int WarmUpCycles = 5;

    [Fact]
    public async Task OpenConnectChurn_LeavesNoSessionLeaseDescriptorThreadOrNftablesObject_AndMemoryStaysBounded()
    {
        int cycles = Cycles("OPENTUNNEL_CHURN_CYCLES", 40);
        using var gateway = await GatewayInstance.StartAsync();
        int pid = gateway.Process.Id;
        Assert.Equal("dotnet", File.ReadAllText($"/proc/{pid}/comm").Trim());
        string tokenFile = gateway.TokenFile(gateway.MintToken("churn"));

        for (int i = 0; i < WarmUpCycles; i++)
        {
            await CycleAsync(gateway, tokenFile);
        }

        GatewayFootprint before = await MeasureAsync(gateway, pid);
        var durations = new List<double>(cycles);
        var all = Stopwatch.StartNew();
        for (int i = 0; i < cycles; i++)
        {
            durations.Add((await CycleAsync(gateway, tokenFile)).TotalMilliseconds);
        }

        TimeSpan took = all.Elapsed;
        GatewayFootprint after = await MeasureAsync(gateway, pid);
        durations.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{cycles} cycles in {took.TotalSeconds:0.0} s; cycle median {durations[durations.Count / 2]:0} ms, max {durations[^1]:0} ms"));
        output.WriteLine($"before: {before}");
        output.WriteLine($"after:  {after}");

        Assert.True(gateway.Process.HasExited is false, gateway.Process.Output);
        after.AssertNothingLeftSince(before, $"{cycles} cycles");
    }

    /// <summary>A positive count from <paramref name="variable"/>, or <paramref name="fallback"/> when it is not set.</summary>
    internal static int Cycles(string variable, int fallback)
    {
        string? value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count > 0
            ? count
            : throw new ArgumentException($"{variable} must be a positive whole number, not '{value}'.");
    }

    /// <summary>
    /// One cycle: openconnect signs in and brings the tunnel up (its script configures the TUN
    /// device, no routes), then SIGINT (it says BYE and runs its script's disconnect). The wait for
    /// the tunnel is generous: a busy machine (load average 70) once took over 20 s.
    /// </summary>
    private static async Task<TimeSpan> CycleAsync(GatewayInstance gateway, string tokenFile)
    {
        var cycle = Stopwatch.StartNew();
        using var client = await OpenConnectClient.StartWithTokenAsync(gateway, tokenFile, "occhurn");
        await client.WaitForScriptAsync("connect", TimeSpan.FromSeconds(90));
        client.Process.Signal(2);
        int exit = await client.Process.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(exit == 0, $"openconnect exited {exit} after SIGINT:\n{client.Process.Output}");
        return cycle.Elapsed;
    }

    /// <summary>What the gateway holds once every session has gone (waits up to 10 s for the last one to be cleaned up).</summary>
    private static Task<GatewayFootprint> MeasureAsync(GatewayInstance gateway, int pid) =>
        GatewayFootprint.MeasureAsync(() => gateway.ControlAsync("status"), pid, gateway.Topology, TimeSpan.FromSeconds(10));
}
