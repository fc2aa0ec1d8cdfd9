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

    public void Dispose() => _directory.Dispose();

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
