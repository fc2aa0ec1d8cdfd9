using OpenTunnel.CommandLine;
using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Tests;

/// <summary>
/// The benchmark driver and its load generator as bench/run and a person type them: separate
/// processes, their exit codes and output. None of these starts a namespace or a session.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BenchCommandLineTests
{
    private static readonly string Bench = Path.Combine(AppContext.BaseDirectory, "OpenTunnel.Bench.dll");
    private static readonly string Load = Path.Combine(AppContext.BaseDirectory, "OpenTunnel.Bench.Load.dll");

    public static TheoryData<string> Tools => [Bench, Load];

    [Theory]
    [MemberData(nameof(Tools))]
    public void Help_PrintsTheOptionsAndExamples(string tool)
    {
        CommandResult result = Run(tool, "--help");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("Usage:", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Examples:", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--sessions", result.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Tools))]
    public void Version_PrintsTheVersion(string tool)
    {
        CommandResult result = Run(tool, "--version");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.StandardOutput.Trim());
    }

    [Theory]
    [InlineData("bench", "--rouns", "1")]
    [InlineData("bench", "run")]
    [InlineData("load", "--frobnicate", "1")]
    public void UnknownOptionOrVerb_IsAUsageError_AndStartsNothing(string tool, params string[] args)
    {
        CommandResult result = Run(tool == "bench" ? Bench : Load, args);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"Unrecognized command or argument '{args[0]}'", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(result.StandardOutput);
    }

    [Fact]
    public void Bench_MistypedNumber_NamesTheOption()
    {
        CommandResult result = Run(Bench, "--rounds", "three");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--rounds must be a whole number from 0 to 50, not 'three'", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MistypedServer_NamesTheOption_AndTheMissingPin()
    {
        CommandResult result = Run(Load, "--server", "198.18.1.1", "--password-file", "/dev/null");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--server must be HOST:PORT", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("'--pin-sha256' is required", result.StandardError, StringComparison.Ordinal);
    }

    private static CommandResult Run(string tool, params string[] args) => Command.Run("dotnet", [tool, .. args], TimeSpan.FromSeconds(30));
}
