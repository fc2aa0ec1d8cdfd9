using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
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

    /// <summary>Bounds on what may remain after the cycles, above the measurement before them.</summary>
    private const int MaximumExtraDescriptors = 8;
    private const int MaximumExtraThreads = 8;
    private const long MaximumExtraRssKiB = 48 * 1024;

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

        Footprint before = await MeasureAsync(gateway, pid);
        var durations = new List<double>(cycles);
        var all = Stopwatch.StartNew();
        for (int i = 0; i < cycles; i++)
        {
            durations.Add((await CycleAsync(gateway, tokenFile)).TotalMilliseconds);
        }

        TimeSpan took = all.Elapsed;
        Footprint after = await MeasureAsync(gateway, pid);
        durations.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{cycles} cycles in {took.TotalSeconds:0.0} s; cycle median {durations[durations.Count / 2]:0} ms, max {durations[^1]:0} ms"));
        output.WriteLine($"before: {before}");
        output.WriteLine($"after:  {after}");

        Assert.True(gateway.Process.HasExited is false, gateway.Process.Output);
        Assert.Equal(0, after.Sessions);
        Assert.Equal(0, after.Leased);
        Assert.Equal(before.Ruleset, after.Ruleset);
        Assert.Equal(before.Links, after.Links);
        Assert.True(after.Descriptors <= before.Descriptors + MaximumExtraDescriptors, $"File descriptors: {before.Descriptors} before, {after.Descriptors} after {cycles} cycles.");
        Assert.True(after.Threads <= before.Threads + MaximumExtraThreads, $"Threads: {before.Threads} before, {after.Threads} after {cycles} cycles.");
        Assert.True(after.RssKiB <= before.RssKiB + MaximumExtraRssKiB, $"RSS: {before.RssKiB} KiB before, {after.RssKiB} KiB after {cycles} cycles.");
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
    private static async Task<Footprint> MeasureAsync(GatewayInstance gateway, int pid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        JsonNode status = (await gateway.ControlAsync("status"))!;
        while ((status["sessions"]!.GetValue<int>() > 0 || status["poolLeased"]!.GetValue<int>() > 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            status = (await gateway.ControlAsync("status"))!;
        }

        // Let the runtime return what the cycles freed, so that RSS compares like with like.
        await Task.Delay(1000);
        string proc = File.ReadAllText($"/proc/{pid}/status");
        return new Footprint(
            status["sessions"]!.GetValue<int>(),
            status["poolLeased"]!.GetValue<int>(),
            Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length,
            (int)StatusField(proc, "Threads:"),
            StatusField(proc, "VmRSS:"),
            gateway.Topology.Exec(gateway.Topology.Gateway, "nft", "list", "ruleset").EnsureSuccess().StandardOutput,
            gateway.Topology.Exec(gateway.Topology.Gateway, "ip", "-o", "link", "show").EnsureSuccess().StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    /// <summary>The number after <paramref name="name"/> in /proc/PID/status ("Threads:", "VmRSS:" in KiB).</summary>
    internal static long StatusField(string status, string name)
    {
        string line = status.Split('\n').First(l => l.StartsWith(name, StringComparison.Ordinal));
        return long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private sealed record Footprint(int Sessions, int Leased, int Descriptors, int Threads, long RssKiB, string Ruleset, int Links)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"sessions {Sessions}, leased {Leased}, fds {Descriptors}, threads {Threads}, RSS {RssKiB / 1024.0:0.0} MiB, nft ruleset {Ruleset.Split('\n').Length} lines, links {Links}");
    }
}
