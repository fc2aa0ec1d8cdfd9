using System.Text.Json;
using OpenTunnel.Management.Cli;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Cli;

/// <summary>"opentunnel-management import-ocserv" against the real service (in-memory HTTP), with files on disk.</summary>
[Trait("Category", "Integration")]
public sealed class OcservImportCommandTests(SqliteApp fixture) : IClassFixture<SqliteApp>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ocserv-import").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using HttpMessageHandler handler = fixture.App.CreateHandler();
        string[] all = [.. args, "--url", "http://localhost", "--api-key", fixture.App.AdminKey];
        int exit = await AdminCli.RunAsync(all, output, error, CancellationToken.None, handler, _ => null);
        return (exit, output.ToString(), error.ToString());
    }

    private string Write(string text)
    {
        string file = Path.Combine(_directory, "ocserv.conf");
        File.WriteAllText(file, text);
        return file;
    }

    [Fact]
    public async Task ImportOcserv_WithSite_CreatesTheConfigurationAndPointsTheSiteAtIt()
    {
        ApiResponse site = await Objects.SiteAsync(fixture.Admin);
        string siteName = site.Json.GetProperty("name").GetString()!;
        Directory.CreateDirectory(Path.Combine(_directory, "group"));
        File.WriteAllText(Path.Combine(_directory, "group", "engineers"), "route = 198.18.4.0/24\n");
        string file = Write("tcp-port = 8443\nudp-port = 8443\nmtu = 1400\nipv4-network = 198.18.128.0\nipv4-netmask = 255.255.255.0\ndns = 198.18.2.53\nroute = 198.18.2.0/24\nno-route = 198.18.2.128/25\nconfig-per-group = group\n");
        string name = ManagementAppFixture.Unique("ocserv");

        var imported = await RunAsync("import-ocserv", file, "--site", siteName, "--name", name);

        Assert.Equal(0, imported.Exit);
        Assert.Contains("warning: line 3: mtu: ", imported.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("config-per-group", imported.Error, StringComparison.Ordinal);
        Assert.Contains($"Site '{siteName}' now uses it.", imported.Output, StringComparison.Ordinal);
        ApiResponse configurations = await fixture.Admin.ReadAsync($"/api/v1/configurations?name={name}");
        JsonElement configuration = Assert.Single(configurations.Json.GetProperty("items").EnumerateArray());
        Assert.Equal("198.18.128.0/24", configuration.GetProperty("ipv4Range").GetString());
        Assert.Equal(8443, configuration.GetProperty("port").GetInt32());
        Assert.Equal("198.18.2.128/25", configuration.GetProperty("excludeRoutes")[0].GetString());
        JsonElement group = Assert.Single(configuration.GetProperty("groupPolicies").EnumerateArray());
        Assert.Equal("engineers", group.GetProperty("group").GetString());
        Assert.Equal("198.18.4.0/24", group.GetProperty("includeRoutes")[0].GetString());
        ApiResponse after = await fixture.Admin.ReadAsync($"/api/v1/sites/{site.Id}");
        Assert.Equal(configuration.GetProperty("id").GetString(), after.Json.GetProperty("serverConfigurationId").GetString());
        Assert.Equal("198.18.1.1", after.Json.GetProperty("publicAddress").GetString());
    }

    [Fact]
    public async Task ImportOcserv_FileWithErrors_CreatesNothingAndExits1()
    {
        string name = ManagementAppFixture.Unique("ocserv");
        string file = Write("tcp-port = 443\nudp-port = 443\nipv4-network = 198.18.128.0/24\nroute = 198.18.128.0/25\n");

        var refused = await RunAsync("import-ocserv", file, "--name", name);

        Assert.Equal(1, refused.Exit);
        Assert.Contains("error: line 4: route: 198.18.128.0/25: ", refused.Error, StringComparison.Ordinal);
        ApiResponse configurations = await fixture.Admin.ReadAsync($"/api/v1/configurations?name={name}");
        Assert.Equal(0, configurations.Json.GetProperty("totalCount").GetInt32());
    }

    [Fact]
    public async Task ImportOcserv_UnknownSite_CreatesNothingAndExits1()
    {
        string name = ManagementAppFixture.Unique("ocserv");
        string file = Write("tcp-port = 443\nudp-port = 443\nipv4-network = 198.18.128.0/24\n");

        var refused = await RunAsync("import-ocserv", file, "--site", "no-such-site", "--name", name);

        Assert.Equal(1, refused.Exit);
        Assert.Contains("there is no site named 'no-such-site'", refused.Error, StringComparison.Ordinal);
        ApiResponse configurations = await fixture.Admin.ReadAsync($"/api/v1/configurations?name={name}");
        Assert.Equal(0, configurations.Json.GetProperty("totalCount").GetInt32());
    }

    [Fact]
    public async Task ImportOcserv_DryRun_PrintsTheConfigurationWithoutAnApiKey()
    {
        string file = Write("tcp-port = 443\nudp-port = 443\nipv4-network = 198.18.128.0/24\nsplit-dns = corp.example\n");
        using var output = new StringWriter();
        using var error = new StringWriter();

        int exit = await AdminCli.RunAsync(["import-ocserv", file, "--dry-run"], output, error, CancellationToken.None, null, _ => null);

        Assert.Equal(0, exit);
        JsonElement body = JsonDocument.Parse(output.ToString()).RootElement;
        Assert.Equal("ocserv", body.GetProperty("name").GetString());
        Assert.Equal("corp.example", body.GetProperty("splitDnsDomains")[0].GetString());
    }

    [Fact]
    public async Task ImportOcserv_MissingFile_ExitsWithTheBadInputCode()
    {
        var missing = await RunAsync("import-ocserv", Path.Combine(_directory, "absent.conf"), "--dry-run");

        Assert.Equal(65, missing.Exit);
        Assert.Contains("absent.conf does not exist", missing.Error, StringComparison.Ordinal);
    }
}
