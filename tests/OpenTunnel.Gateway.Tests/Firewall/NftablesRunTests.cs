using System.Diagnostics;
using OpenTunnel.Gateway.Firewall;

namespace OpenTunnel.Gateway.Tests.Firewall;

/// <summary>
/// How a session's nft script is run: off the caller's thread, which a CONNECT on a socket-engine
/// thread must not lose while nft works. A stand-in shell script plays nft here (the real one would
/// need a network namespace of its own); it takes the script on its standard input as nft does.
/// </summary>
[Trait("Category", "Unit")]
public sealed class NftablesRunTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("nft-run-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task RunNftAsync_ReturnsToTheCallerAtOnce_AndCompletesWhenNftHasTakenTheScript()
    {
        string received = Path.Combine(_folder, "received");
        string nft = FakeNft($"cat > '{received}'; sleep 2; exit 0");
        var clock = Stopwatch.StartNew();

        Task running = NftablesFirewall.RunNftAsync(nft, "add element inet t s { 198.18.128.2 }\n");
        TimeSpan returnedAfter = clock.Elapsed;
        await running.WaitAsync(TimeSpan.FromSeconds(30));

        // The caller had its thread back long before the stand-in's two seconds were over.
        Assert.True(returnedAfter < TimeSpan.FromSeconds(1), $"the call held its caller for {returnedAfter.TotalMilliseconds:0} ms");
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), "the task completed before nft exited");
        Assert.Equal("add element inet t s { 198.18.128.2 }\n", File.ReadAllText(received));
    }

    [Fact]
    public async Task RunNftAsync_ARefusedScript_ThrowsWithNftsExitCodeAndMessage()
    {
        string nft = FakeNft("cat > /dev/null; echo 'Error: No such file or directory' >&2; exit 1");

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => NftablesFirewall.RunNftAsync(nft, "delete element inet t s { 198.18.128.2 }\n"));

        Assert.Equal("nft refused the ruleset (exit 1): Error: No such file or directory", refused.Message);
    }

    [Fact]
    public async Task RunNftAsync_WithoutNft_SaysToInstallItOrTurnTheFirewallOff()
    {
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => NftablesFirewall.RunNftAsync(Path.Combine(_folder, "no-such-nft"), "flush ruleset\n"));

        Assert.Contains("install nftables, or set Network:ManageFirewall to false", missing.Message, StringComparison.Ordinal);
    }

    private string FakeNft(string body)
    {
        string path = Path.Combine(_folder, "nft");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
