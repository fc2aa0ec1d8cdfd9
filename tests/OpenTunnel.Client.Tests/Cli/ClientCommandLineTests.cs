using OpenTunnel.Client.Native;
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

    [Fact]
    public void Status_NativeTunnelOfARunningProcess_ShowsItsChannelAddressesAndBytes_AndAFileOfAGoneProcessIsNotATunnel()
    {
        Directory.CreateDirectory(Home);
        var file = new TunnelStateFile(Path.Combine(Home, "tunnel.json"));
        var since = new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);
        // This test's own process stands for the running connect: status only checks that it is alive.
        var state = new TunnelState
        {
            ProcessId = Environment.ProcessId,
            Gateway = "198.18.1.1",
            TunDevice = "opentun0",
            Addresses = ["198.18.128.7", "2001:db8:128::7"],
            Since = since,
            Channel = "DTLS",
            ChannelSince = since.AddSeconds(2),
            BytesSent = 1234,
            BytesReceived = 5678,
            UpdatedAt = since.AddMinutes(1),
        };
        file.Save(state);

        CommandResult running = Run("status");

        Assert.Equal(ExitCodes.Success, running.ExitCode);
        Assert.Contains($"Connected to 198.18.1.1 (native engine, process {Environment.ProcessId}) since 2026-12-03 09:00:00Z: 198.18.128.7, 2001:db8:128::7 on opentun0.", running.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Channel: DTLS since 2026-12-03 09:00:02Z; 1234 bytes sent, 5678 received (at 2026-12-03 09:01:00Z).", running.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\"channel\": \"DTLS\"", Run("status", "--json").StandardOutput, StringComparison.Ordinal);

        file.Save(state with { ProcessId = int.MaxValue });
        CommandResult gone = Run("status");
        Assert.Contains("Not connected.", gone.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("native engine", gone.StandardOutput, StringComparison.Ordinal);
    }

    private CommandResult Run(params string[] args) => Command.Run(
        "dotnet", [Executable, .. args], TimeSpan.FromSeconds(30), environment: new Dictionary<string, string> { [ClientStateDirectory.HomeVariable] = Home });
}
