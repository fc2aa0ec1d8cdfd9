using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.EndToEnd.Tests.Identity;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// VPN profiles from the management service acting on the real <c>opentunnel</c>: a profile
/// assigned to the user's group arrives at sign-in, <c>connect PROFILE</c> (the native engine, the
/// default) reaches the profile's site through the real gateway with a token for that site,
/// <c>status</c> names the profile, and a change an administrator makes reaches the running client
/// (which fetches the profiles again on its interval, here 2 s). The client namespace reaches the
/// management service on the test's loopback through a <see cref="NamespaceRelay"/>.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ClientProfilesTests
{
    [Fact]
    public async Task ProfileOfTheUsersGroup_ConnectByName_CarriesPing_ChangeReachesRunningClient()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ping");
        using AgentStack stack = await AgentStack.StartAsync(ContinuousAccessTests.TrustTheProviderAsync);
        AdminApiClient api = stack.Management.Api;
        using SignedInClient client = await SignedInClient.StartAsync(stack, group => new
        {
            name = "office",
            siteId = stack.Site,
            platform = "linux",
            assignedGroupIds = new[] { group },
            proxy = new { host = "198.18.2.80", port = 3128, exclusions = Array.Empty<string>() },
        });
        Dictionary<string, string> environment = client.Environment;
        TemporaryDirectory home = client.Home;
        string profile = client.ProfileId;
        string group = client.Group;

        CommandResult listed = Command.Run("dotnet", [ClientConnectTests.Client, "profiles", "--json"], TimeSpan.FromSeconds(60), environment: environment);
        Assert.True(listed.Succeeded, listed.StandardError);
        JsonElement office = JsonDocument.Parse(listed.StandardOutput).RootElement.GetProperty("profiles")[0];
        Assert.Equal(("office", NetworkTopology.GatewayPublicAddress, GatewayInstance.Port),
            (office.GetProperty("name").GetString(), office.GetProperty("site").GetProperty("publicAddress").GetString(), office.GetProperty("site").GetProperty("port").GetInt32()));

        GatewayInstance gateway = stack.Gateway;
        using NamespaceRelay relay = NamespaceRelay.Start(gateway.Topology.Client, stack.Management.ApiUrl.Port);
        // The native engine writes the namespace's resolv.conf (ip netns exec mounts it), never the host's.
        gateway.Topology.CreateResolvConf(gateway.Topology.Client);
        using TrackedProcess connect = gateway.Topology.Start(gateway.Topology.Client, "dotnet",
            [ClientConnectTests.Client, "connect", "office", "--refresh-every", "2", "--servercert", "pin-sha256:" + gateway.Pin],
            environment: environment);
        await connect.WaitForOutputAsync("Connected to", TimeSpan.FromSeconds(90));
        Assert.Contains($"Connecting to https://{NetworkTopology.GatewayPublicAddress}:{GatewayInstance.Port}/ (profile office, site ", connect.Output, StringComparison.Ordinal);
        Assert.Contains("with the native engine.", connect.Output, StringComparison.Ordinal);

        gateway.Topology.Exec(gateway.Topology.Client, "ping", ["-c", "1", "-W", "2", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(5)).EnsureSuccess();
        JsonNode session = (await gateway.ControlAsync("sessions"))!.AsArray().Single()!;
        Assert.Equal("bob", session["user"]!.GetValue<string>());
        CommandResult status = Command.Run("dotnet", [ClientConnectTests.Client, "status"], TimeSpan.FromSeconds(60), environment: environment);
        Assert.Contains($"with profile office", status.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Proxy: 198.18.2.80:3128", status.StandardOutput, StringComparison.Ordinal);

        var changed = Stopwatch.StartNew();
        await api.PutAsync($"/api/v1/profiles/{profile}", new
        {
            name = "office",
            siteId = stack.Site,
            platform = "linux",
            assignedGroupIds = new[] { group },
            proxy = new { host = "198.18.2.81", port = 8080, exclusions = Array.Empty<string>() },
        });
        await connect.WaitForOutputAsync("proxy 198.18.2.81:8080", TimeSpan.FromSeconds(60));
        changed.Stop();
        Assert.True(changed.Elapsed < TimeSpan.FromSeconds(15), $"The change reached the running client after {changed.Elapsed.TotalSeconds:0.0} s, more than the 2 s interval allows.");
        Assert.Contains("198.18.2.81", File.ReadAllText(Path.Combine(home.Path, "profiles.json")), StringComparison.Ordinal);
        Console.WriteLine($"A profile change reached the running client after {changed.Elapsed.TotalSeconds:0.0} s (interval 2 s).");

        connect.Signal(15);
        int exitCode = await connect.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(exitCode == 0, $"opentunnel connect exited with {exitCode} after SIGTERM.\n{connect.Output}");
        Assert.False(File.Exists(Path.Combine(home.Path, "connection.json")), "connect left its connection record behind");
    }
}
