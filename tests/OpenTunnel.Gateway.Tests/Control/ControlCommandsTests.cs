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
        _commands = new ControlCommands(_host, _gateway.Sessions, _gateway.Supervisor, _gateway.SignIn, _gateway.Counters, _gateway.Gate.Budget);
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
    public async Task EndedSessions_AfterTerminate_GivesTheRecordUntilAcknowledged()
    {
        var client = await ConnectAsync("alice");
        string address = ((JsonArray)await ExecuteAsync(ControlRequest.Sessions))[0]!["address"]!.GetValue<string>();
        await ExecuteAsync(ControlRequest.Terminate, new JsonObject { ["target"] = "alice" });

        var first = EndedSessionsAnswer.FromJson(await _commands.ExecuteAsync(ControlRequest.TakeEndedSessions(null, 0, 10)));
        var again = EndedSessionsAnswer.FromJson(await _commands.ExecuteAsync(ControlRequest.TakeEndedSessions(first.Journal, first.Sessions[^1].Sequence, 10)));

        EndedSessionRecord record = Assert.Single(first.Sessions);
        Assert.Equal(("alice", address, "terminated by the administrator"), (record.User, record.Address, record.Reason));
        Assert.True(record.EndedAt >= record.SignedInAt);
        Assert.NotEqual(Guid.Empty, record.RecordId);
        Assert.Equal(0, first.Dropped);
        Assert.Empty(again.Sessions);
        await client.DisposeAsync();
    }

    [Theory]
    [InlineData("{\"command\":\"ended-sessions\",\"journal\":\"nope\"}", "journal")]
    [InlineData("{\"command\":\"ended-sessions\",\"limit\":0}", "limit")]
    [InlineData("{\"command\":\"ended-sessions\",\"limit\":\"ten\"}", "limit")]
    [InlineData("{\"command\":\"ended-sessions\",\"acknowledge\":true}", "acknowledge")]
    public async Task EndedSessions_BadArgument_RefusedNamingIt(string request, string argument)
    {
        var e = await Assert.ThrowsAsync<ControlRequestException>(() => _commands.ExecuteAsync(JsonNode.Parse(request)!.AsObject()));

        Assert.Contains(argument, e.Message, StringComparison.Ordinal);
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
    public async Task Bans_ListsTheBannedClientWithScoreAndExpiry_AndUnbanClearsIt()
    {
        var limits = _gateway.Current.Options.Limits;
        for (int i = 0; i < 8; i++)
        {
            _gateway.SignIn.Penalize(IPAddress.Parse("198.18.1.100"), 10, limits, "a malformed request");
        }

        _gateway.SignIn.Penalize(IPAddress.Parse("2001:db8:1::7"), 10, limits, "a malformed request");

        var bans = (JsonArray)await ExecuteAsync(ControlRequest.Bans);

        Assert.Equal(2, bans.Count);
        Assert.Equal("198.18.1.100", bans[0]!["client"]!.GetValue<string>());
        Assert.Equal(80, bans[0]!["score"]!.GetValue<int>());
        Assert.NotNull(bans[0]!["bannedUntil"]);
        Assert.Equal("2001:db8:1::/64", bans[1]!["client"]!.GetValue<string>());
        Assert.Null(bans[1]!["bannedUntil"]);

        var answer = await ExecuteAsync(ControlRequest.Unban, new JsonObject { ["target"] = "198.18.1.100" });

        Assert.Equal("198.18.1.100", answer["client"]!.GetValue<string>());
        Assert.False(_gateway.SignIn.Bans.IsBanned(IPAddress.Parse("198.18.1.100")));
        Assert.Single((JsonArray)await ExecuteAsync(ControlRequest.Bans));
    }

    [Theory]
    [InlineData("alice", "is not a client address")]
    [InlineData("198.18.1.9", "holds nothing for 198.18.1.9")]
    public async Task Unban_BadOrUnknownAddress_RefusedSayingWhy(string target, string expected)
    {
        var e = await Assert.ThrowsAsync<ControlRequestException>(() => ExecuteAsync(ControlRequest.Unban, new JsonObject { ["target"] = target }));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
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
