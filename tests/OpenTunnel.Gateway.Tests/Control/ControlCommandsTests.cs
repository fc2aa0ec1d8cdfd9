using System.Net;
using System.Text.Json.Nodes;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Connections;
using OpenTunnel.Gateway.Contracts.Control;
using OpenTunnel.Gateway.Control;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Tests.Auth;
using OpenTunnel.Gateway.Tests.Connections;

namespace OpenTunnel.Gateway.Tests.Control;

/// <summary>The control commands against the in-memory gateway core: what occtl-like verbs show and do.</summary>
[Trait("Category", "Unit")]
public sealed class ControlCommandsTests : IClassFixture<TokenIssuerFixture>, IAsyncLifetime
{
    private readonly TokenIssuerFixture _issuers;
    private readonly InMemoryGateway _gateway;
    private readonly Host _host;
    private readonly ControlCommands _commands;

    public ControlCommandsTests(TokenIssuerFixture issuers)
    {
        _issuers = issuers;
        _gateway = new InMemoryGateway(issuers);
        _host = new Host(_gateway);
        _commands = new ControlCommands(_host, _gateway.Sessions, _gateway.Supervisor, _gateway.SignIn, _gateway.Counters);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _gateway.DisposeAsync().AsTask();

    [Fact]
    public async Task Status_ConnectedSession_CountsItAndItsLease()
    {
        await ConnectAsync("alice");

        var status = (JsonObject)await ExecuteAsync(ControlRequest.Status);

        Assert.Equal(1, status["sessions"]!.GetValue<int>());
        Assert.Equal(1, status["connected"]!.GetValue<int>());
        Assert.Equal(1, status["poolLeased"]!.GetValue<int>());
        Assert.Equal(InMemoryGateway.Pool, status["pool"]!.GetValue<string>());
        Assert.Null(status["dtls"]);
    }

    [Fact]
    public async Task Sessions_ConnectedOverTls_ListsUserAddressAndChannel()
    {
        await ConnectAsync("alice");

        var sessions = (JsonArray)await ExecuteAsync(ControlRequest.Sessions);

        var only = Assert.Single(sessions)!;
        Assert.Equal("alice", only["user"]!.GetValue<string>());
        Assert.Equal("TLS", only["channel"]!.GetValue<string>());
        Assert.StartsWith("198.18.128.", only["address"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(only["dtls"]);
    }

    [Fact]
    public async Task Terminate_ByUser_EndsTheSessionAndTellsTheClient()
    {
        var client = await ConnectAsync("alice");

        var answer = await ExecuteAsync(ControlRequest.Terminate, new JsonObject { ["target"] = "alice" });

        Assert.Equal(1, answer["sessions"]!.GetValue<int>());
        Assert.Equal(0, _gateway.Sessions.Count);
        var (type, _) = await client.ReadFrameAsync();
        Assert.Equal(Protocol.Cstp.CstpPacketType.Disconnect, type);
        await client.DisposeAsync();
    }

    [Fact]
    public async Task Disconnect_NoSuchSession_RefusedNamingTheTarget()
    {
        var e = await Assert.ThrowsAsync<ControlRequestException>(() => ExecuteAsync(ControlRequest.Disconnect, new JsonObject { ["target"] = "nobody" }));

        Assert.Contains("'nobody'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_Enabled_RefusesNewSignIns()
    {
        var answer = await ExecuteAsync(ControlRequest.Drain, new JsonObject { ["enabled"] = true });

        Assert.True(answer["draining"]!.GetValue<bool>());
        Assert.True(_gateway.SignIn.Draining);
    }

    [Fact]
    public async Task Apply_BadDocument_RefusedAndTheRunningOneStays()
    {
        var document = new JsonObject { ["Network"] = new JsonObject { ["IPv4Pool"] = "not a network" } };

        await Assert.ThrowsAsync<GatewayConfigurationException>(() => ExecuteAsync(ControlRequest.Apply, new JsonObject { ["configuration"] = document }));

        Assert.Equal(0, _host.Applied);
    }

    [Fact]
    public async Task Execute_UnknownCommand_RefusedListingTheKnownOnes()
    {
        var e = await Assert.ThrowsAsync<ControlRequestException>(() => ExecuteAsync("reboot"));

        Assert.Contains("status, sessions", e.Message, StringComparison.Ordinal);
    }

    private async Task<JsonNode> ExecuteAsync(string command, JsonObject? arguments = null)
    {
        var request = arguments ?? new JsonObject();
        request["command"] = command;
        return await _commands.ExecuteAsync(request);
    }

    private async Task<TestTlsClient> ConnectAsync(string user)
    {
        var client = await TestTlsClient.ConnectAsync(_gateway.Connect());
        string cookie = ClientConnectionTests.Cookie(await ClientConnectionTests.SignInAsync(client, _issuers.Ec.Mint(user)));
        await client.SendAsync(ClientConnectionTests.Connect(cookie));
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        return client;
    }

    /// <summary>The host side the commands see: the in-memory gateway's configuration; reload and apply validate and count.</summary>
    private sealed class Host(IRunningConfiguration configuration) : IGatewayHost
    {
        public int Applied { get; private set; }

        public RunningConfiguration Current => configuration.Current;

        public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

        public IPEndPoint ListenEndPoint { get; } = IPEndPoint.Parse("198.18.1.1:443");

        public IPEndPoint? MetricsEndPoint => null;

        public GatewayDtls? Dtls => null;

        public RunningConfiguration Reload(string? file) => throw new GatewayConfigurationException(["reload is not part of these tests"]);

        public RunningConfiguration Apply(GatewayOptions options, string origin)
        {
            var errors = GatewayOptionsValidator.Validate(options);
            if (errors.Count > 0)
            {
                throw new GatewayConfigurationException(errors);
            }

            Applied++;
            return Current;
        }
    }
}
