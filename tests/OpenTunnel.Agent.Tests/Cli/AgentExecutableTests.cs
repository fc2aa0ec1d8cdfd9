using System.Text.Json;
using OpenTunnel.Agent.Enrolment;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Tests.Harness;
using OpenTunnel.CommandLine;
using OpenTunnel.Testing;

namespace OpenTunnel.Agent.Tests.Cli;

/// <summary>
/// The real <c>opentunnel-agent enrol</c> executable against the real management service: the
/// token is taken from a file, from standard input or from OPENTUNNEL_ENROL_TOKEN, so it never
/// appears among the process's arguments; <c>--token</c> and OPENTUNNEL_AGENT_TOKEN are refused
/// before anything is sent, and the token stays unused.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AgentExecutableTests(SqliteManagementServer fixture) : IClassFixture<SqliteManagementServer>
{
    /// <summary>
    /// The agent as its own build left it (src/OpenTunnel.Agent/bin/CONFIGURATION/FRAMEWORK), with
    /// its own deps.json: the copy beside the tests would resolve assemblies through the test
    /// project's frameworks (ASP.NET Core, for the management service) and miss its packages.
    /// </summary>
    internal static readonly string Agent = AgentOutput();

    public enum Source
    {
        File,
        StandardInput,
        Environment,
    }

    [Theory]
    [InlineData(Source.File)]
    [InlineData(Source.StandardInput)]
    [InlineData(Source.Environment)]
    public async Task Enrol_TokenFromFileStandardInputOrEnvironment_Enrols_AndTheTokenIsNoArgument(Source source)
    {
        (Guid site, _) = await fixture.Server.CreateSiteAsync();
        string token = await fixture.Server.CreateTokenAsync(site);
        string data = fixture.Directory.Subdirectory("exe-" + Guid.NewGuid().ToString("N")[..6]);
        var arguments = Arguments(data);
        var environment = new Dictionary<string, string>();
        string? input = null;
        switch (source)
        {
            case Source.File:
                string file = fixture.Directory.File("token-" + Guid.NewGuid().ToString("N")[..6]);
                File.WriteAllText(file, token + "\n");
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                arguments.AddRange(["--token-file", file]);
                break;
            case Source.StandardInput:
                arguments.AddRange(["--token-file", "-"]);
                input = token + "\n";
                break;
            default:
                environment[EnrolmentTokenSource.EnvironmentVariable] = token;
                break;
        }

        CommandResult result = await Command.RunAsync("dotnet", [Agent, .. arguments], TimeSpan.FromSeconds(90), input, CancellationToken.None, environment);

        Assert.True(result.Succeeded, result.StandardError + result.StandardOutput);
        Assert.DoesNotContain(token, string.Join(' ', arguments), StringComparison.Ordinal);
        Assert.DoesNotContain(token, result.StandardOutput + result.StandardError, StringComparison.Ordinal);
        Assert.True(new AgentIdentityStore(data).IsEnrolled);
        JsonElement tokens = await fixture.Server.TokensAsync(site);
        Assert.NotEqual(JsonValueKind.Null, tokens[0].GetProperty("redeemedAt").ValueKind);
    }

    [Theory]
    [InlineData("--token")]
    [InlineData("--token=")]
    public async Task Enrol_TokenOnTheCommandLine_IsRefusedSayingHowToGiveIt_AndTheTokenStaysUnused(string option)
    {
        (Guid site, _) = await fixture.Server.CreateSiteAsync();
        string token = await fixture.Server.CreateTokenAsync(site);
        string data = fixture.Directory.Subdirectory("exe-" + Guid.NewGuid().ToString("N")[..6]);
        List<string> arguments = Arguments(data);
        arguments.AddRange(option.EndsWith('=') ? [option + token] : [option, token]);

        CommandResult result = await Command.RunAsync("dotnet", [Agent, .. arguments], TimeSpan.FromSeconds(60), null, CancellationToken.None);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.DoesNotContain(token, result.StandardError + result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--token-file", result.StandardError, StringComparison.Ordinal);
        Assert.Contains(EnrolmentTokenSource.EnvironmentVariable, result.StandardError, StringComparison.Ordinal);
        Assert.False(new AgentIdentityStore(data).IsEnrolled);
        JsonElement tokens = await fixture.Server.TokensAsync(site);
        Assert.Equal(JsonValueKind.Null, tokens[0].GetProperty("redeemedAt").ValueKind);
    }

    [Fact]
    public async Task Enrol_OldTokenVariable_IsRefusedSayingHowToGiveIt()
    {
        (Guid site, _) = await fixture.Server.CreateSiteAsync();
        string token = await fixture.Server.CreateTokenAsync(site);
        string data = fixture.Directory.Subdirectory("exe-" + Guid.NewGuid().ToString("N")[..6]);

        CommandResult result = await Command.RunAsync("dotnet", [Agent, .. Arguments(data)], TimeSpan.FromSeconds(60), null, CancellationToken.None,
            new Dictionary<string, string> { ["OPENTUNNEL_AGENT_TOKEN"] = token });

        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains(EnrolmentTokenSource.EnvironmentVariable, result.StandardError, StringComparison.Ordinal);
        Assert.False(new AgentIdentityStore(data).IsEnrolled);
    }

    [Fact]
    public async Task Run_JsonLogFormat_EveryLineIsOneJsonObject_AndABadFormatIsRefusedByName()
    {
        (Guid site, _) = await fixture.Server.CreateSiteAsync();
        string data = fixture.Directory.Subdirectory("exe-" + Guid.NewGuid().ToString("N")[..6]);
        CommandResult enrolled = await Command.RunAsync("dotnet", [Agent, .. Arguments(data)], TimeSpan.FromSeconds(90), null, CancellationToken.None,
            new Dictionary<string, string> { [EnrolmentTokenSource.EnvironmentVariable] = await fixture.Server.CreateTokenAsync(site) });
        Assert.True(enrolled.Succeeded, enrolled.StandardError);
        string[] run = [Agent, "run", "--data-dir", data];

        // The gateway's file and socket in the test's folder: there is no gateway, and nothing outside it is touched.
        Dictionary<string, string> Settings(string format) => new()
        {
            ["OPENTUNNEL_AGENT_LOGFORMAT"] = format,
            ["OPENTUNNEL_AGENT_GATEWAYCONFIGURATIONFILE"] = Path.Combine(data, "gateway.json"),
            ["OPENTUNNEL_AGENT_GATEWAYCONTROLSOCKET"] = Path.Combine(data, "control.sock"),
            ["OPENTUNNEL_AGENT_METRICSADDRESS"] = string.Empty,
        };
        CommandResult refused = await Command.RunAsync("dotnet", run, TimeSpan.FromSeconds(60), null, CancellationToken.None, Settings("xml"));
        string output;
        using (var agent = TrackedProcess.Start("dotnet", run, environment: Settings("json")))
        {
            await agent.WaitForOutputAsync("\"Category\":\"OpenTunnel.Agent", TimeSpan.FromSeconds(60));
            agent.Signal(15);
            await agent.WaitForExitAsync(TimeSpan.FromSeconds(30));
            output = agent.Output;
        }

        Assert.Equal(ExitCodes.Configuration, refused.ExitCode);
        Assert.Contains("LogFormat", refused.StandardError, StringComparison.Ordinal);
        Assert.Contains("xml", refused.StandardError, StringComparison.Ordinal);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
    }

    private static string AgentOutput()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        DirectoryInfo? root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OpenTunnel.slnx")))
        {
            root = root.Parent;
        }

        return Path.Combine(root?.FullName ?? throw new InvalidOperationException("OpenTunnel.slnx not found above " + output.FullName),
            "src", "OpenTunnel.Agent", "bin", output.Parent!.Name, output.Name, "opentunnel-agent.dll");
    }

    /// <summary>enrol with the service's agent URL and CA pin into <paramref name="data"/>, without a token.</summary>
    private List<string> Arguments(string data) =>
    [
        "enrol",
        "--management", fixture.Server.AgentUrl,
        "--ca-pin", fixture.Server.Authority.Pin,
        "--name", "gw-exe-" + Guid.NewGuid().ToString("N")[..6],
        "--data-dir", data,
    ];
}
