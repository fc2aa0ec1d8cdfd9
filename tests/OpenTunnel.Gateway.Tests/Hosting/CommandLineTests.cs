using System.Net.Sockets;
using System.Text;
using OpenTunnel.CommandLine;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Hosting;

/// <summary>
/// The <c>opentunnel-gateway</c> executable as an operator types it: a separate process, its exit
/// code and what it prints. None of these start a gateway.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CommandLineTests : IDisposable
{
    private static readonly string Executable = Path.Combine(AppContext.BaseDirectory, "opentunnel-gateway.dll");
    private readonly TemporaryDirectory _directory = new();

    private string Socket => Path.Combine(_directory.Path, "control.sock");

    private string DataDirectory => Path.Combine(_directory.Path, "data");

    [Theory]
    [InlineData("run", "--help")]
    [InlineData("drain", "-h")]
    [InlineData("apply", "--help")]
    [InlineData("token", "--help")]
    public void VerbHelp_PrintsItsUsageAndExamples(params string[] args)
    {
        CommandResult result = Run(args);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("Usage:", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Examples:", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("opentunnel-gateway " + args[0] + " ", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_ListsTheVerbs()
    {
        CommandResult result = Run("--help");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        foreach (string verb in new[] { "run", "check", "pin", "token", "status", "sessions", "disconnect", "terminate", "revoke", "reload", "apply", "drain", "bans", "unban" })
        {
            Assert.Matches($@"(?m)^\s+{verb}\b", result.StandardOutput);
        }
    }

    [Fact]
    public void Version_PrintsTheVersion()
    {
        CommandResult result = Run("--version");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.StandardOutput.Trim());
    }

    [Theory]
    [InlineData("drian")]
    [InlineData("--config", "CONFIG")]
    [InlineData("rnu", "--config", "CONFIG")]
    public void UnknownVerb_IsAUsageError_AndStartsNothing(params string[] args)
    {
        string config = WriteConfiguration();

        CommandResult result = Run([.. args.Select(a => a == "CONFIG" ? config : a)]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("error: Unrecognized command or argument", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("Run 'opentunnel-gateway --help'", result.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(DataDirectory), "a usage error made the data directory");
    }

    [Fact]
    public void Token_LifetimeNotANumber_NamesTheOption_AndIsAUsageError()
    {
        CommandResult result = Run("token", "--config", WriteConfiguration(), "--user", "alice", "--lifetime", "x");

        Assert.True(result.ExitCode == ExitCodes.Usage, result.StandardError);
        Assert.Contains("--lifetime 'x' is not a number of seconds", result.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(DataDirectory), "a usage error made the development key");
    }

    [Fact]
    public void Token_WithoutUser_NamesTheMissingOption()
    {
        CommandResult result = Run("token", "--config", WriteConfiguration());

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("'--user'", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Drain_NoGateway_IsUnavailable()
    {
        CommandResult result = Run("drain", "--control", Socket);

        Assert.Equal(ExitCodes.Unavailable, result.ExitCode);
        Assert.Contains(Socket, result.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1]", "does not hold a JSON object")]
    [InlineData("{ nope", "is not JSON")]
    public void Apply_FileNotAJsonObject_IsADataError_BeforeTheSocket(string content, string message)
    {
        string file = _directory.File("pushed.json");
        File.WriteAllText(file, content);

        CommandResult result = Run("apply", file, "--control", Socket);

        Assert.Equal(ExitCodes.DataError, result.ExitCode);
        Assert.Contains(message, result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_WithoutFile_IsAUsageError()
    {
        CommandResult result = Run("apply", "--control", Socket);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("Required argument 'FILE' missing for command: 'apply'", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sessions_PrintsATableForPeople_AndTheAnswerWithJson()
    {
        const string answer = """
            {"ok":true,"result":[
              {"id":7,"user":"alice","deviceId":null,"address":"198.18.128.2","client":"198.18.0.9:50123","bytesIn":1234567,"bytesOut":89,"channel":"DTLS","connectedSince":"2026-12-03T08:00:00Z"},
              {"id":12,"user":"bob","deviceId":"pc-42","address":"198.18.128.3","client":"198.18.0.10:40000","bytesIn":5,"bytesOut":6,"channel":"TLS","connectedSince":null}]}
            """;

        CommandResult table = await ServeOnceAsync(answer, "sessions");
        CommandResult json = await ServeOnceAsync(answer, "sessions", "--json");

        Assert.True(table.Succeeded, table.StandardError);
        string[] lines = table.StandardOutput.TrimEnd().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^ID\s+USER\s+DEVICE\s+ADDRESS\s+CLIENT\s+BYTES IN\s+BYTES OUT\s+CHANNEL\s+CONNECTED SINCE$", lines[0]);
        Assert.Matches(@"^7\s+alice\s+-\s+198\.18\.128\.2\s+198\.18\.0\.9:50123\s+1234567\s+89\s+DTLS\s+2026-12-03T08:00:00Z$", lines[1]);
        Assert.Matches(@"^12\s+bob\s+pc-42\s+.*\s+TLS\s+\(away\)$", lines[2]);
        Assert.Equal(lines[0].IndexOf("BYTES OUT", StringComparison.Ordinal) + "BYTES OUT".Length, lines[2].IndexOf(" 6 ", StringComparison.Ordinal) + 2);
        Assert.True(json.Succeeded, json.StandardError);
        Assert.Equal("alice", System.Text.Json.Nodes.JsonNode.Parse(json.StandardOutput)![0]!["user"]!.GetValue<string>());
    }

    public void Dispose() => _directory.Dispose();

    /// <summary>Runs the CLI against a socket that answers its one request with <paramref name="answer"/>, as the gateway's control socket does.</summary>
    private async Task<CommandResult> ServeOnceAsync(string answer, params string[] args)
    {
        File.Delete(Socket);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Socket));
        listener.Listen(1);
        Task serving = Task.Run(
            async () =>
            {
                using Socket peer = await listener.AcceptAsync(timeout.Token);
                await using var stream = new NetworkStream(peer);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                await reader.ReadLineAsync(timeout.Token);
                await stream.WriteAsync(Encoding.UTF8.GetBytes(answer.ReplaceLineEndings(string.Empty) + "\n"), timeout.Token);
            },
            timeout.Token);
        CommandResult result = await Command.RunAsync("dotnet", [Executable, .. args, "--control", Socket], TimeSpan.FromSeconds(30), null, timeout.Token);
        await serving;
        return result;
    }

    private string WriteConfiguration()
    {
        string config = _directory.File("gateway.json");
        File.WriteAllText(config, $$"""
            { "DataDirectory": "{{DataDirectory}}", "Network": { "IPv4Pool": "198.18.128.0/24" },
              "Auth": { "Issuer": "https://issuer.test", "Audience": "gateway" } }
            """);
        return config;
    }

    private static CommandResult Run(params string[] args) => Command.Run("dotnet", [Executable, .. args], TimeSpan.FromSeconds(30));
}
