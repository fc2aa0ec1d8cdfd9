using System.Text.Json;
using OpenTunnel.Management.Cli;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Cli;

/// <summary>The administrator CLI against the real service (in-memory HTTP).</summary>
[Trait("Category", "Integration")]
public sealed class AdminCliTests(SqliteApp fixture) : IClassFixture<SqliteApp>
{
    private async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using HttpMessageHandler handler = fixture.App.CreateHandler();
        string[] all = [.. args, "--url", "http://localhost", "--api-key", fixture.App.AdminKey];
        int exit = await AdminCli.RunAsync(all, output, error, CancellationToken.None, handler, _ => null);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Configurations_CreateListUpdateDelete_ThroughTheCli()
    {
        string name = ManagementAppFixture.Unique("cli");

        var created = await RunAsync("configurations", "create", "--set", $"name={name}", "--set", "dnsServers[]=198.18.2.53, 198.18.2.54", "--set", "port=8443", "--json");
        string id = JsonDocument.Parse(created.Output).RootElement.GetProperty("id").GetString()!;
        var listed = await RunAsync("configurations", "list", "--name", name);
        var updated = await RunAsync("configurations", "update", id, "--set", "udpDisabled=true");
        var shown = await RunAsync("configurations", "get", id);
        var deleted = await RunAsync("configurations", "delete", id);
        var gone = await RunAsync("configurations", "get", id);

        Assert.Equal(0, created.Exit);
        Assert.Contains(name, listed.Output, StringComparison.Ordinal);
        Assert.Contains("page 1, 1 of 1", listed.Output, StringComparison.Ordinal);
        Assert.Equal(0, updated.Exit);
        Assert.Contains("udpDisabled:", shown.Output, StringComparison.Ordinal);
        Assert.Contains("true", shown.Output.Split('\n').Single(l => l.StartsWith("udpDisabled:", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("198.18.2.53, 198.18.2.54", shown.Output, StringComparison.Ordinal);
        Assert.Contains("version:", shown.Output, StringComparison.Ordinal);
        Assert.Equal(0, deleted.Exit);
        Assert.Equal(1, gone.Exit);
        Assert.Contains("404", gone.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_InvalidValue_PrintsEachFieldErrorAndExits1()
    {
        var refused = await RunAsync("configurations", "create", "--set", "name=bad", "--set", "ipv4Range=198.18.0.1/24", "--set", "dnsServers[]=nope");

        Assert.Equal(1, refused.Exit);
        Assert.Contains("HTTP 400", refused.Error, StringComparison.Ordinal);
        Assert.Contains("ipv4Range: '198.18.0.1/24' has bits set", refused.Error, StringComparison.Ordinal);
        Assert.Contains("dnsServers[0]:", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServersEnrolToken_PrintsTheTokenForTheSite()
    {
        ApiResponse site = await Objects.SiteAsync(fixture.Admin);

        var token = await RunAsync("servers", "enrol-token", "--site", site.Id, "--valid-hours", "2");

        Assert.Equal(0, token.Exit);
        Assert.Contains("token:", token.Output, StringComparison.Ordinal);
        Assert.Contains("ote_", token.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sites_List_PrintsATableWithHeader()
    {
        ApiResponse site = await Objects.SiteAsync(fixture.Admin);

        var listed = await RunAsync("sites", "list", "--page-size", "500");

        Assert.StartsWith("id", listed.Output, StringComparison.Ordinal);
        Assert.Contains("publicAddress", listed.Output.Split('\n')[0], StringComparison.Ordinal);
        Assert.Contains(site.Id, listed.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoApiKey_ExitsWithAMessageSayingWhereTheKeyComesFrom()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        int exit = await AdminCli.RunAsync(["sites", "list", "--url", "http://localhost"], output, error, CancellationToken.None, null, name => name == AdminCli.KeyFileVariable ? "/nonexistent/key" : null);

        Assert.Equal(64, exit);
        Assert.Contains("OPENTUNNEL_API_KEY", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownVerb_ExitsWithUsage()
    {
        var refused = await RunAsync("sites", "explode");

        Assert.Equal(64, refused.Exit);
        Assert.Contains("'explode'", refused.Error, StringComparison.Ordinal);
    }
}
