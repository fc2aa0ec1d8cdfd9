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

    [Theory]
    [InlineData("run", "--help")]
    [InlineData("drain", "-h")]
    [InlineData("--help")]
    public void Help_AfterAnyVerb_PrintsTheUsage(params string[] args)
    {
        CommandResult result = Run(args);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("drain [--off] [--json]", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("apply FILE [--json]", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownVerb_IsAUsageError()
    {
        CommandResult result = Run("drian");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("Unknown verb 'drian'", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_LifetimeNotANumber_IsAClearUsageError()
    {
        string config = _directory.File("gateway.json");
        File.WriteAllText(config, $$"""
            { "DataDirectory": "{{_directory.Path}}", "Network": { "IPv4Pool": "198.18.128.0/24" },
              "Auth": { "Issuer": "https://issuer.test", "Audience": "gateway" } }
            """);

        CommandResult result = Run("token", "--config", config, "--user", "alice", "--lifetime", "x");

        Assert.True(result.ExitCode == ExitCodes.Usage, result.StandardError);
        Assert.Contains("--lifetime 'x' is not a number of seconds", result.StandardError, StringComparison.Ordinal);
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
        Assert.Contains("apply needs a configuration file", result.StandardError, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();

    private static CommandResult Run(params string[] args) => Command.Run("dotnet", [Executable, .. args], TimeSpan.FromSeconds(30));
}
