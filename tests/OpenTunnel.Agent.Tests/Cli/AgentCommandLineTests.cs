using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using OpenTunnel.Agent.Identity;
using OpenTunnel.CommandLine;
using OpenTunnel.Testing;

namespace OpenTunnel.Agent.Tests.Cli;

/// <summary>
/// The <c>opentunnel-agent</c> executable as an operator types it: a separate process, its exit
/// code and what it prints. None of these reach a management service; a typo starts nothing.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AgentCommandLineTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    private string Data => Path.Combine(_directory.Path, "data");

    [Theory]
    [InlineData("rnu")]
    [InlineData("--data-dir", "DATA")]
    [InlineData("run", "--managment", "https://198.18.0.1:8444")]
    public void UnknownVerbOrOption_IsAUsageError_AndStartsNothing(params string[] args)
    {
        CommandResult result = Run([.. args.Select(a => a == "DATA" ? Data : a)]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("error: ", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("--help' for its usage", result.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Data), "a usage error made the data directory");
    }

    [Theory]
    [InlineData("enrol")]
    [InlineData("run")]
    [InlineData("status")]
    public void VerbHelp_PrintsItsUsageAndExamples(string verb)
    {
        CommandResult result = Run(verb, "--help");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("Usage:", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Examples:", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"opentunnel-agent {verb} ", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_PrintsTheVersion()
    {
        CommandResult result = Run("--version");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.StandardOutput.Trim());
    }

    [Fact]
    public void Status_WithoutValue_NamesTheOption()
    {
        CommandResult result = Run("status", "--data-dir");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--data-dir", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_NotEnrolled_FailsSayingHowToEnrol()
    {
        Directory.CreateDirectory(Data);

        CommandResult result = Run("status", "--data-dir", Data);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("opentunnel-agent enrol", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_Enrolled_PrintsATableForPeople_AndJsonForScripts()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 certificate = new CertificateRequest("CN=gw-status", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        var registration = new AgentRegistration(Guid.NewGuid(), "gw-status", Guid.NewGuid(), "paris", "https://198.18.0.1:8444", "https://198.18.0.1:9443", DateTime.UtcNow);
        new AgentIdentityStore(Data).Save(registration, certificate.ExportCertificatePem(), key, certificate.ExportCertificatePem());

        CommandResult table = Run("status", "--data-dir", Data);
        CommandResult json = Run("status", "--data-dir", Data, "--json");

        Assert.True(table.Succeeded, table.StandardError);
        Assert.Matches($@"(?m)^server:\s+gw-status \({registration.ServerId}\)$", table.StandardOutput);
        Assert.Matches(@"(?m)^site:\s+paris ", table.StandardOutput);
        Assert.Matches(@"(?m)^configuration:\s+none applied yet$", table.StandardOutput);
        Assert.Matches(@"(?m)^queued telemetry:\s+0$", table.StandardOutput);
        Assert.True(json.Succeeded, json.StandardError);
        using JsonDocument document = JsonDocument.Parse(json.StandardOutput);
        Assert.Equal("gw-status", document.RootElement.GetProperty("serverName").GetString());
        Assert.Equal(0, document.RootElement.GetProperty("queuedTelemetry").GetInt32());
    }

    [Fact]
    public void BadSettingsFile_IsAConfigurationError()
    {
        string file = _directory.File("agent.json");
        File.WriteAllText(file, """{ "NoSuchSetting": 1 }""");

        CommandResult result = Run("status", "--config", file, "--data-dir", Data);

        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains("NoSuchSetting", result.StandardError, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();

    private static CommandResult Run(params string[] args) => Command.Run(
        "dotnet", [AgentExecutableTests.Agent, .. args], TimeSpan.FromSeconds(30), environment: new Dictionary<string, string> { ["OPENTUNNEL_ENROL_TOKEN"] = string.Empty });
}
