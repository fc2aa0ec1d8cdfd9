using System.Globalization;
using System.Text.Json.Nodes;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Reliability;

/// <summary>
/// The gateway's data directory on a full disk (docs/reliability.md, "Disk full"): the gateway runs
/// in a mount namespace of its own (<c>unshare -m</c>) whose data directory is a 2 MiB tmpfs seeded
/// with the test's files, and the test fills it from inside that namespace (never the real disk,
/// nothing mounted in the root namespace). Sign-ins, revocations and session ends go on, the
/// failures to save are logged once each, the revocation holds and ends the user's sessions, and
/// once space returns the next change writes both files again, without a restart.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayDiskFullTests(ITestOutputHelper output)
{
    /// <summary>Runs the gateway (its arguments end with --config FILE; the data directory is FILE's folder's data/) on a tmpfs seeded with that directory's files.</summary>
    private const string OnSmallTmpfs = """
        set -e
        for last; do :; done
        data="$(dirname "$last")/data"
        mkdir "$data.seed"
        cp -a "$data/." "$data.seed/"
        mount -t tmpfs -o size=2m,mode=0700 opentunnel-test "$data"
        cp -a "$data.seed/." "$data/"
        exec "$@"
        """;

    [Fact]
    public async Task DataDirectoryFull_SignInsAndRevocationsGoOn_FailuresAreLoggedOnce_AndTheFilesAreWrittenAgainWhenSpaceReturns()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "openconnect", "unshare", "nsenter", "mount");
        using var outside = new TemporaryDirectory();
        using var gateway = await GatewayInstance.StartAsync(
            configure: config => config["Control"] = new JsonObject { ["SocketPath"] = outside.File("control.sock") },
            launcher: ["unshare", "-m", "--propagation", "private", "sh", "-c", OnSmallTmpfs, "sh"]);
        string data = gateway.DataDirectory;
        Assert.Contains("opentunnel-test", InGatewayMounts(gateway, "cat", "/proc/self/mounts"), StringComparison.Ordinal);
        using var alice = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), "ocalice");
        Assert.Contains("\"user\":\"alice\"", await SessionFileOnceAsync(gateway, file => file.Contains("\"user\":\"alice\"", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), StringComparison.Ordinal);

        // Fill the tmpfs: dd stops at ENOSPC.
        InGatewayMounts(gateway, "sh", "-c", $"dd if=/dev/zero of='{data}/fill' bs=64k 2>&1 || true");
        Assert.Contains(" 0 ", InGatewayMounts(gateway, "sh", "-c", $"df -k '{data}' | tail -1"), StringComparison.Ordinal);

        // A sign-in while the disk is full: the session works, saving it fails with one log line.
        using var bob = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("bob")), "ocbob");
        await gateway.Process.WaitForOutputAsync("Cannot save the sessions", TimeSpan.FromSeconds(10));

        // A revocation while the disk is full: it holds and ends alice's session; the answer and one log line say it is not saved.
        JsonNode revoked = (await gateway.ControlAsync("revoke", "alice"))!;
        Assert.Equal(1, revoked["sessions"]!.GetValue<int>());
        Assert.False(revoked["saved"]!.GetValue<bool>());
        // The console logger writes its lines from a queue of its own: the line may follow the answer.
        await gateway.Process.WaitForOutputAsync("Cannot save the revocations", TimeSpan.FromSeconds(10));
        Assert.NotEqual(0, await alice.Process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.NotEqual(0, OpenConnectClient.Authenticate(gateway, gateway.TokenFile(gateway.MintToken("alice", issuedAt: DateTimeOffset.UtcNow.AddMinutes(-1)))).ExitCode);
        await gateway.ControlAsync("revoke", "mallory");
        Assert.Equal(1, Count(gateway.Process.Output, "Cannot save the revocations"));
        Assert.Equal(1, Count(gateway.Process.Output, "Cannot save the sessions"));
        Assert.False(gateway.Process.HasExited, gateway.Process.Output);
        Assert.DoesNotContain("Unhandled exception", gateway.Process.Output, StringComparison.Ordinal);

        // Space returns: the next revocation writes the whole revocation file, the next session change the session file.
        InGatewayMounts(gateway, "rm", Path.Combine(data, "fill"));
        JsonNode again = (await gateway.ControlAsync("revoke", "trudy"))!;
        Assert.True(again["saved"]!.GetValue<bool>());
        string revocations = InGatewayMounts(gateway, "cat", Path.Combine(data, "revocations.json"));
        Assert.Contains("\"alice\"", revocations, StringComparison.Ordinal);
        Assert.Contains("\"mallory\"", revocations, StringComparison.Ordinal);
        await gateway.Process.WaitForOutputAsync("Revocations saved to", TimeSpan.FromSeconds(10));
        bob.Process.Signal(2);
        await bob.Process.WaitForExitAsync(TimeSpan.FromSeconds(20));
        await gateway.Process.WaitForOutputAsync("Sessions saved to", TimeSpan.FromSeconds(10));
        // A write the writer had pending from the full disk may be the one that succeeds, with bob still
        // in it; the write after bob's end then follows within SessionStore.WriteInterval.
        Assert.DoesNotContain("\"user\":\"bob\"", await SessionFileOnceAsync(gateway, file => !file.Contains("\"user\":\"bob\"", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        output.WriteLine(string.Join('\n', gateway.Process.Output.Split('\n').Where(l => l.Contains("save", StringComparison.OrdinalIgnoreCase))));
    }

    /// <summary>The gateway's session file once it is <paramref name="wanted"/>, or as it is after <paramref name="timeout"/>.</summary>
    private static async Task<string> SessionFileOnceAsync(GatewayInstance gateway, Func<string, bool> wanted, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            string file = InGatewayMounts(gateway, "cat", Path.Combine(gateway.DataDirectory, "sessions.json"));
            if (wanted(file) || DateTime.UtcNow >= deadline)
            {
                return file;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>How many times <paramref name="part"/> occurs in <paramref name="text"/>.</summary>
    internal static int Count(string text, string part) => text.Split(part).Length - 1;

    /// <summary>Runs a command in the mount namespace of <paramref name="process"/>, where its data directory is the tmpfs.</summary>
    internal static string InMountsOf(TrackedProcess process, params string[] command) =>
        Command.Run("nsenter", ["-t", process.Id.ToString(CultureInfo.InvariantCulture), "-m", "--", .. command]).EnsureSuccess().StandardOutput;

    private static string InGatewayMounts(GatewayInstance gateway, params string[] command) => InMountsOf(gateway.Process, command);
}
