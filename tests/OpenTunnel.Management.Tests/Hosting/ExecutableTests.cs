using System.Text.Json;
using OpenTunnel.Testing;

namespace OpenTunnel.Management.Tests.Hosting;

/// <summary>
/// The real executable on real Kestrel (127.0.0.1, a free port) with SQLite, and the CLI as a
/// separate process against it: what run.sh and an administrator do.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ExecutableTests : IDisposable
{
    private static readonly string Service = Path.Combine(AppContext.BaseDirectory, "opentunnel-management.dll");
    private readonly TemporaryDirectory _directory = new();

    private string Data => _directory.Path;

    [Fact]
    public async Task FirstStart_NamesTheKeyFileButNeverPrintsTheKey_CliUsesIt_AndARestartKeepsTheData()
    {
        int port = LoopbackPorts.Free();
        string url = $"http://127.0.0.1:{port}";
        string keyFile = Path.Combine(Data, "admin-api-key");
        var cli = new Dictionary<string, string> { ["OPENTUNNEL_MANAGEMENT_URL"] = url, ["OPENTUNNEL_API_KEY_FILE"] = keyFile };
        string key;

        using (TrackedProcess first = StartService(url))
        {
            await first.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(120));
            key = File.ReadAllText(keyFile).Trim();
            Assert.Contains($"Created the first administrator API key in {keyFile}", first.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(key, first.Output, StringComparison.Ordinal);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

            CommandResult created = RunCli(cli, "groups", "create", "--set", "name=staff");
            Assert.True(created.Succeeded, created.StandardError);
            first.Signal(15);
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        using TrackedProcess second = StartService(url);
        await second.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(120));
        CommandResult listed = RunCli(cli, "groups", "list");

        Assert.DoesNotContain("first administrator API key", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(key, second.Output, StringComparison.Ordinal);
        Assert.True(listed.Succeeded, listed.StandardError);
        Assert.Contains("staff", listed.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonLogFormat_EveryLineIsOneJsonObject()
    {
        string url = $"http://127.0.0.1:{LoopbackPorts.Free()}";
        using TrackedProcess service = StartService(url, ("Management__LogFormat", "json"));
        await service.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(120));
        service.Signal(15);
        await service.WaitForExitAsync(TimeSpan.FromSeconds(30));

        string[] lines = service.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
        Assert.Contains(lines, line => line.Contains("\"Category\":\"Microsoft.Hosting.Lifetime\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Management__LogFormat", "xml", "'xml' at 'Management:LogFormat'")]
    [InlineData("Management__TrustedProxies__0", "bad", "Management:TrustedProxies:0 'bad' is neither an IP address nor a network")]
    public async Task BadSetting_EndsWithExit78AndOneLineNamingIt_NoStackTrace(string variable, string value, string named)
    {
        using TrackedProcess service = StartService($"http://127.0.0.1:{LoopbackPorts.Free()}", (variable, value));

        int exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(78, exitCode);
        Assert.Contains($"opentunnel-management: the configuration is not valid: ", service.Output, StringComparison.Ordinal);
        Assert.Contains(named, service.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", service.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();

    private TrackedProcess StartService(string url, params (string Name, string Value)[] settings) => TrackedProcess.Start(
        "dotnet",
        [Service, "serve", "--urls", url],
        environment: new Dictionary<string, string>(settings.Select(s => KeyValuePair.Create(s.Name, s.Value)))
        {
            ["Management__DataDirectory"] = Data,
            ["Management__Https__AllowLoopbackHttp"] = "true",
        });

    private static CommandResult RunCli(Dictionary<string, string> environment, params string[] args) =>
        Command.Run("dotnet", [Service, .. args], TimeSpan.FromSeconds(60), environment: environment);
}
