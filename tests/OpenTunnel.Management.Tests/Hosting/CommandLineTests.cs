using OpenTunnel.CommandLine;
using OpenTunnel.Testing;

namespace OpenTunnel.Management.Tests.Hosting;

/// <summary>
/// The executable as an administrator types it: a separate process, its exit code and output.
/// None of these reach a service; a typo must never start one.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CommandLineTests : IDisposable
{
    private static readonly string Executable = Path.Combine(AppContext.BaseDirectory, "opentunnel-management.dll");
    private readonly TemporaryDirectory _directory = new();

    [Theory]
    [InlineData("server", "list")]
    [InlineData("srve")]
    [InlineData("--urls", "http://127.0.0.1:1")]
    public void UnknownVerb_IsAUsageError_AndStartsNoService(params string[] args)
    {
        CommandResult result = Run(args);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("error:", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", result.StandardOutput, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory.Path));
    }

    [Fact]
    public void NoVerb_IsAUsageError()
    {
        CommandResult result = Run();

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("Required command was not provided", result.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("serve", "--help")]
    [InlineData("servers", "enrol-token", "--help")]
    [InlineData("groups", "create", "-h")]
    [InlineData("users", "set-password", "--help")]
    [InlineData("servers", "telemetry", "--help")]
    public void VerbHelp_PrintsItsUsageAndExamples(params string[] args)
    {
        CommandResult result = Run(args);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("Usage:", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("opentunnel-management " + string.Join(' ', args[..^1]), result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Example", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_PrintsTheVersion()
    {
        CommandResult result = Run("--version");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.StandardOutput.Trim());
    }

    [Fact]
    public void MistypedNumber_NamesTheOptionAndIsAUsageError()
    {
        CommandResult result = Run("servers", "enrol-token", "--site", "s1", "--valid-hours", "two");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--valid-hours", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void ServiceUnreachable_ExitsUnavailable()
    {
        CommandResult result = Run("groups", "list", "--url", $"http://127.0.0.1:{LoopbackPorts.Free()}", "--api-key", "k");

        Assert.Equal(ExitCodes.Unavailable, result.ExitCode);
        Assert.Contains("cannot reach the management service", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Suggest_CompletesVerbs()
    {
        CommandResult result = Run("[suggest:6]", "serv");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("servers", result.StandardOutput.Split('\n').Select(l => l.Trim()));
        Assert.Contains("serve", result.StandardOutput.Split('\n').Select(l => l.Trim()));
    }

    public void Dispose() => _directory.Dispose();

    private CommandResult Run(params string[] args) => Command.Run(
        "dotnet",
        [Executable, .. args],
        TimeSpan.FromSeconds(30),
        environment: new Dictionary<string, string> { ["Management__DataDirectory"] = _directory.Path, ["OPENTUNNEL_API_KEY_FILE"] = Path.Combine(_directory.Path, "none") });
}
