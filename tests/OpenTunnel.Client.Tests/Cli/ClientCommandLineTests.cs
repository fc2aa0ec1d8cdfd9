using OpenTunnel.Client.State;
using OpenTunnel.CommandLine;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.Cli;

/// <summary>
/// The <c>opentunnel</c> executable as a user types it: a separate process, its exit code and what
/// it prints. None of these reach a service; a typo writes no state.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ClientCommandLineTests : IDisposable
{
    private static readonly string Executable = Path.Combine(AppContext.BaseDirectory, "opentunnel.dll");
    private readonly TemporaryDirectory _directory = new();

    private string Home => Path.Combine(_directory.Path, "home");

    [Theory]
    [InlineData(new[] { "connnect" }, "'connnect'")]
    [InlineData(new[] { "token", "--sight", "a" }, "'--sight'")]
    [InlineData(new[] { "signin" }, "'--server'")]
    [InlineData(new[] { "token", "--site" }, "'--site'")]
    [InlineData(new[] { "posture", "--every", "x" }, "--every 'x'")]
    [InlineData(new[] { "connect", "office", "lab" }, "'lab' is not an option of 'connect'")]
    [InlineData(new[] { "run", "--", "true" }, "'--profile' is required")]
    [InlineData(new[] { "profiles", "--jsn" }, "'--jsn'")]
    [InlineData(new[] { "status", "--jason" }, "'--jason'")]
    [InlineData(new[] { "lockdown", "on" }, "'lockdown' needs 'status' or 'off', not 'on'")]
    [InlineData(new[] { "lockdown" }, "'lockdown' needs 'status' or 'off'")]
    [InlineData(new[] { "app-tunnel-script" }, "'--namespace' is required")]
    public void BadCommandLine_IsAUsageErrorNamingTheProblem_AndWritesNothing(string[] args, string named)
    {
        CommandResult result = Run(args);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("error: ", result.StandardError, StringComparison.Ordinal);
        Assert.Contains(named, result.StandardError, StringComparison.Ordinal);
        Assert.Contains("--help' for its usage", result.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Home) && Directory.EnumerateFileSystemEntries(Home).Any(), "a usage error wrote state");
    }

    [Theory]
    [InlineData("signin")]
    [InlineData("enrol")]
    [InlineData("enroll")]
    [InlineData("posture")]
    [InlineData("token")]
    [InlineData("connect")]
    [InlineData("lockdown")]
    public void VerbHelp_PrintsItsUsageAndExamples(string verb)
    {
        CommandResult result = Run(verb, "--help");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("Usage:", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Example", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"opentunnel {(verb == "enroll" ? "enrol" : verb)}", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_PrintsTheVersion()
    {
        CommandResult result = Run("--version");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.StandardOutput.Trim());
    }

    [Fact]
    public void Token_NotSignedIn_AStepIsMissing()
    {
        CommandResult result = Run("token");

        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains("opentunnel signin", result.StandardError, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();

    private CommandResult Run(params string[] args) => Command.Run(
        "dotnet", [Executable, .. args], TimeSpan.FromSeconds(30), environment: new Dictionary<string, string> { [ClientStateDirectory.HomeVariable] = Home });
}
