using System.Text.Json.Nodes;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.EndToEnd.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// The client as docs/install.md publishes it: one Native AOT executable. Compiled ahead of time,
/// code that needs reflection at run time (JSON without the source generator, private fields)
/// fails only when it runs, so the executable is published here and used end to end: connect,
/// a ping through the tunnel, <c>status --json</c> (the state files' JSON), SIGTERM.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class NativeAotClientTests
{
    [Fact]
    public async Task PublishedAsNativeAot_Connects_PingPasses_StatusJsonShowsTheTunnel_SigtermDisconnects()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ping", "clang", "tar");
        using var build = new TemporaryDirectory();
        string client = Publish(build.Path);

        using GatewayInstance gateway = await GatewayInstance.StartAsync();
        NetworkTopology topology = gateway.Topology;
        using var home = new TemporaryDirectory();
        var environment = new Dictionary<string, string> { ["OPENTUNNEL_CLIENT_HOME"] = home.Path };
        using TrackedProcess connect = topology.Start(topology.Client, client,
            ["connect", "--token-file", gateway.TokenFile(gateway.MintToken("alice")), "--gateway", gateway.Url, "--servercert", "pin-sha256:" + gateway.Pin],
            environment: environment);
        await connect.WaitForOutputAsync("Connected to", TimeSpan.FromSeconds(60));
        topology.Exec(topology.Client, "ping", ["-c", "3", "-i", "0.5", "-W", "2", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(10)).EnsureSuccess();

        var status = JsonNode.Parse(Command.Run(client, ["status", "--json"], TimeSpan.FromSeconds(30), environment: environment).EnsureSuccess().StandardOutput)!;
        Assert.StartsWith("opentun", status["tunnel"]!["tunDevice"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(status["tunnel"]!["addresses"]!.AsArray(), a => a!.GetValue<string>().StartsWith("198.18.128.", StringComparison.Ordinal));

        connect.Signal(15);
        Assert.Equal(0, await connect.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("Disconnected (", connect.Output, StringComparison.Ordinal);
        Assert.Empty(await gateway.SessionsOnceEndedAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>
    /// Publishes from a copy of the sources (a publish for linux-x64 restores into obj/, which
    /// would race with a build of the checkout) and returns the executable.
    /// </summary>
    private static string Publish(string folder)
    {
        string root = SolutionOutput.Root();
        string source = Path.Combine(folder, "source");
        Directory.CreateDirectory(source);
        Command.Run("sh", ["-c", $"cd '{root}' && tar --exclude=bin --exclude=obj -cf - src Directory.Build.props Directory.Packages.props global.json .editorconfig | tar -C '{source}' -xf -"], TimeSpan.FromMinutes(2)).EnsureSuccess();
        string output = Path.Combine(folder, "client");
        Command.Run("dotnet", ["publish", Path.Combine(source, "src", "OpenTunnel.Client"), "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-nologo", "-v", "quiet", "-o", output], TimeSpan.FromMinutes(10)).EnsureSuccess();
        return Path.Combine(output, "opentunnel");
    }
}
