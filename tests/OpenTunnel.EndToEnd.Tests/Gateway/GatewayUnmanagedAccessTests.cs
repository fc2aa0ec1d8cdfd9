using System.Text.Json.Nodes;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// A gateway with Network:UnmanagedAccess giving unmanaged devices only the "internet" network
/// (198.18.3.0/24) and DNS of their own, beside the defaults (the corp network). Real openconnect
/// clients in the client namespace: "uma" with a token whose compliance claim is "unmanaged" (as
/// the identity provider issues it to a sign-in without a device), and "alice" with a compliant
/// token. The unmanaged session is told only its route and reaches that network through the tunnel,
/// not the corp host, also when it sends the packets into its tunnel (bound to its tunnel device);
/// alice's managed session is held as without the setting (no restriction). Real nftables in the gateway namespace.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayUnmanagedAccessTests : IClassFixture<GatewayUnmanagedAccessTests.Fixture>
{
    private readonly Fixture _fixture;

    public GatewayUnmanagedAccessTests(Fixture fixture)
    {
        _fixture = fixture;
    }

    private NetworkTopology Topology => _fixture.Gateway.Topology;

    [Fact]
    public async Task Connect_UnmanagedDevice_IsGivenOnlyTheUnmanagedRouteAndDns_AndListedAsUnmanaged()
    {
        IReadOnlyDictionary<string, string> unmanaged = _fixture.Unmanaged.Environment();
        JsonArray sessions = (await _fixture.Gateway.ControlAsync("sessions"))!.AsArray();

        Assert.Equal(("1", "198.18.3.0"), (unmanaged["CISCO_SPLIT_INC"], unmanaged["CISCO_SPLIT_INC_0_ADDR"]));
        Assert.Equal("198.18.3.53", unmanaged["INTERNAL_IP4_DNS"]);
        Assert.Equal("web.opentunnel.test", unmanaged["CISCO_DEF_DOMAIN"]);
        Assert.True(Listed(sessions, "uma")["unmanaged"]!.GetValue<bool>());
        Assert.False(Listed(sessions, "alice")["unmanaged"]!.GetValue<bool>());
    }

    [Fact]
    public void UnmanagedDevice_ReachesTheAllowedNetworkThroughTheTunnel_ButNotCorp()
    {
        Assert.Equal(NetworkTopology.GatewayInternetAddress, _fixture.Unmanaged.CurlThroughTunnel(Topology, NetworkTopology.InternetAddress, _fixture.Other.Port).EnsureSuccess().StandardOutput);
        Assert.True(_fixture.Unmanaged.PingThroughTunnel(Topology, NetworkTopology.InternetAddress).Succeeded, "the unmanaged device could not ping the allowed network");

        CommandResult refused = _fixture.Unmanaged.CurlThroughTunnel(Topology, NetworkTopology.CorpAddress, _fixture.Corp.Port);

        Assert.False(refused.Succeeded, $"the unmanaged device reached the corp host: {refused.StandardOutput}");
        Assert.False(_fixture.Unmanaged.PingThroughTunnel(Topology, NetworkTopology.CorpAddress).Succeeded, "the unmanaged device pinged the corp host");
    }

    [Fact]
    public void ManagedDevice_KeepsItsAccess_AsWithoutUnmanagedAccess()
    {
        IReadOnlyDictionary<string, string> managed = _fixture.Managed.Environment();

        Assert.Equal("198.18.2.0", managed["CISCO_SPLIT_INC_0_ADDR"]);
        Assert.Equal(NetworkTopology.GatewayCorpAddress, _fixture.Managed.CurlThroughTunnel(Topology, NetworkTopology.CorpAddress, _fixture.Corp.Port).EnsureSuccess().StandardOutput);
        // Routes are advice without Network:RestrictToRoutes, as before: the other network answers through the tunnel too.
        Assert.Equal(NetworkTopology.GatewayInternetAddress, _fixture.Managed.CurlThroughTunnel(Topology, NetworkTopology.InternetAddress, _fixture.Other.Port).EnsureSuccess().StandardOutput);
    }

    private static JsonNode Listed(JsonArray sessions, string user) => sessions.Single(s => s!["user"]!.GetValue<string>() == user)!;

    /// <summary>The gateway configured for unmanaged devices, a gateway token rule that takes both kinds, echo servers on both internal networks, and both tunnels.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public GatewayInstance Gateway { get; private set; } = null!;

        public OpenConnectClient Unmanaged { get; private set; } = null!;

        public OpenConnectClient Managed { get; private set; } = null!;

        public SourceEchoServer Corp { get; private set; } = null!;

        public SourceEchoServer Other { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Gateway = await GatewayInstance.StartAsync(config =>
            {
                config["Udp"] = new JsonObject { ["Enabled"] = false };
                config["Network"]!["UnmanagedAccess"] = UnmanagedAccess();
                config["Auth"]!["RequiredClaims"] = BothKinds();
            });
            Corp = SourceEchoServer.Start(Gateway.Topology.Corp, NetworkTopology.CorpAddress);
            Other = SourceEchoServer.Start(Gateway.Topology.Internet, NetworkTopology.InternetAddress);
            Unmanaged = await OpenConnectClient.ConnectWithTokenAsync(Gateway, Gateway.TokenFile(Gateway.MintToken("uma", compliance: "unmanaged")), "ocuma", installRoutes: false);
            Managed = await OpenConnectClient.ConnectWithTokenAsync(Gateway, Gateway.TokenFile(Gateway.MintToken("alice")), "ocalice", installRoutes: false);
        }

        public Task DisposeAsync()
        {
            Unmanaged?.Dispose();
            Managed?.Dispose();
            Corp?.Dispose();
            Other?.Dispose();
            Gateway?.Dispose();
            return Task.CompletedTask;
        }

        /// <summary>Network:UnmanagedAccess: the "internet" network only, with its own DNS server and suffix.</summary>
        internal static JsonObject UnmanagedAccess() => new()
        {
            ["SplitInclude"] = new JsonArray(NetworkTopology.InternetSubnet),
            ["DnsServers"] = new JsonArray("198.18.3.53"),
            ["DefaultDomain"] = "web.opentunnel.test",
        };

        /// <summary>Auth:RequiredClaims that take compliant and unmanaged devices (the identity provider decided which may sign in).</summary>
        internal static JsonArray BothKinds() => new(new JsonObject { ["Claim"] = "compliance", ["AnyOf"] = new JsonArray("compliant", "unmanaged") });
    }
}

/// <summary>
/// The safe default: a gateway without Network:UnmanagedAccess refuses a token of an unmanaged
/// device at sign-in, with a log line naming the check, and a reload that removes the setting ends
/// the sessions of unmanaged devices that run. Real openconnect, real nftables.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayUnmanagedAccessRefusalTests
{
    [Fact]
    public async Task UnmanagedToken_WithoutUnmanagedAccess_IsRefused_AndARemovalEndsRunningSessions()
    {
        using GatewayInstance gateway = await GatewayInstance.StartAsync(config =>
        {
            config["Udp"] = new JsonObject { ["Enabled"] = false };
            config["Network"]!["UnmanagedAccess"] = GatewayUnmanagedAccessTests.Fixture.UnmanagedAccess();
            config["Auth"]!["RequiredClaims"] = GatewayUnmanagedAccessTests.Fixture.BothKinds();
        });
        using var client = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("uma", compliance: "unmanaged")), "ocuma", installRoutes: false);
        JsonObject config = JsonNode.Parse(File.ReadAllText(gateway.ConfigFile))!.AsObject();
        config["Network"]!.AsObject().Remove("UnmanagedAccess");
        File.WriteAllText(gateway.ConfigFile, config.ToJsonString());

        await gateway.ControlAsync("reload");

        await gateway.Process.WaitForOutputAsync("unmanaged devices no longer have access (Network:UnmanagedAccess is not set)", TimeSpan.FromSeconds(30));
        await client.Process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("Received server disconnect", client.Process.Output, StringComparison.Ordinal);
        CommandResult refused = OpenConnectClient.Authenticate(gateway, gateway.TokenFile(gateway.MintToken("uma", compliance: "unmanaged")));
        Assert.False(refused.Succeeded, $"a token of an unmanaged device signed in without Network:UnmanagedAccess:\n{refused.StandardOutput}");
        await gateway.Process.WaitForOutputAsync(
            $"Sign-in from {NetworkTopology.ClientAddress} refused by check unmanaged-device: the token of uma is for an unmanaged device", TimeSpan.FromSeconds(10));
        Assert.True(OpenConnectClient.Authenticate(gateway, gateway.TokenFile(gateway.MintToken("alice"))).Succeeded, "a compliant token was refused");
    }
}
