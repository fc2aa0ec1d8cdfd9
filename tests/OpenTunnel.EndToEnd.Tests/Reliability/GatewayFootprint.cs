using System.Globalization;
using System.Text.Json.Nodes;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Reliability;

/// <summary>
/// What a running gateway holds, for the churn tests' before/after comparison
/// (docs/reliability.md, "Churn"): sessions and leases from its control socket, descriptors,
/// threads and RSS from /proc, the nftables ruleset and the links of its namespace.
/// </summary>
internal sealed record GatewayFootprint(int Sessions, int Leased, int Descriptors, int Threads, long RssKiB, string Ruleset, int Links)
{
    /// <summary>Bounds on what may remain after the cycles, above the measurement before them.</summary>
    public const int MaximumExtraDescriptors = 8;
    public const int MaximumExtraThreads = 8;
    public const long MaximumExtraRssKiB = 48 * 1024;

    /// <summary>
    /// Measures the gateway process <paramref name="pid"/> in <paramref name="topology"/>'s gateway
    /// namespace once every session has gone (waits up to <paramref name="settle"/> for the last
    /// one to be cleaned up), asking its control socket through <paramref name="status"/>.
    /// </summary>
    public static async Task<GatewayFootprint> MeasureAsync(Func<Task<JsonNode?>> status, int pid, NetworkTopology topology, TimeSpan settle)
    {
        var deadline = DateTime.UtcNow + settle;
        JsonNode state = (await status())!;
        while ((state["sessions"]!.GetValue<int>() > 0 || state["poolLeased"]!.GetValue<int>() > 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            state = (await status())!;
        }

        // Let the runtime return what the cycles freed, so that RSS compares like with like.
        await Task.Delay(1000);
        string proc = File.ReadAllText($"/proc/{pid}/status");
        return new GatewayFootprint(
            state["sessions"]!.GetValue<int>(),
            state["poolLeased"]!.GetValue<int>(),
            Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length,
            (int)StatusField(proc, "Threads:"),
            StatusField(proc, "VmRSS:"),
            topology.Exec(topology.Gateway, "nft", "list", "ruleset").EnsureSuccess().StandardOutput,
            topology.Exec(topology.Gateway, "ip", "-o", "link", "show").EnsureSuccess().StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    /// <summary>The number after <paramref name="name"/> in /proc/PID/status ("Threads:", "VmRSS:" in KiB).</summary>
    public static long StatusField(string status, string name)
    {
        string line = status.Split('\n').First(l => l.StartsWith(name, StringComparison.Ordinal));
        return long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>No session, lease, nftables object or link left, and descriptors, threads and RSS within the bounds above <paramref name="before"/>.</summary>
    public void AssertNothingLeftSince(GatewayFootprint before, string what)
    {
        ArgumentNullException.ThrowIfNull(before);
        Assert.Equal(0, Sessions);
        Assert.Equal(0, Leased);
        Assert.Equal(before.Ruleset, Ruleset);
        Assert.Equal(before.Links, Links);
        Assert.True(Descriptors <= before.Descriptors + MaximumExtraDescriptors, $"File descriptors: {before.Descriptors} before, {Descriptors} after {what}.");
        Assert.True(Threads <= before.Threads + MaximumExtraThreads, $"Threads: {before.Threads} before, {Threads} after {what}.");
        Assert.True(RssKiB <= before.RssKiB + MaximumExtraRssKiB, $"RSS: {before.RssKiB} KiB before, {RssKiB} KiB after {what}.");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"sessions {Sessions}, leased {Leased}, fds {Descriptors}, threads {Threads}, RSS {RssKiB / 1024.0:0.0} MiB, nft ruleset {Ruleset.Split('\n').Length} lines, links {Links}");
}
