using System.Text.Json.Nodes;
using OpenTunnel.Management.Cli;

namespace OpenTunnel.Management.Tests.Cli;

[Trait("Category", "Unit")]
public sealed class CliArgumentsTests
{
    [Theory]
    [InlineData("port=8443", "{\"port\":8443}")]
    [InlineData("udpDisabled=true", "{\"udpDisabled\":true}")]
    [InlineData("name=berlin", "{\"name\":\"berlin\"}")]
    [InlineData("name=\"443\"", "{\"name\":\"443\"}")]
    [InlineData("dnsServers[]=198.18.2.53, 198.18.2.54", "{\"dnsServers\":[\"198.18.2.53\",\"198.18.2.54\"]}")]
    [InlineData("includeRoutes=[\"198.18.2.0/24\"]", "{\"includeRoutes\":[\"198.18.2.0/24\"]}")]
    [InlineData("maintenanceWindow.start=22:00:00", "{\"maintenanceWindow\":{\"start\":\"22:00:00\"}}")]
    [InlineData("description=", "{\"description\":\"\"}")]
    public void ApplySet_ReadsJsonElseText(string assignment, string expected)
    {
        var body = new JsonObject();

        CliArguments.ApplySet(body, assignment);

        Assert.Equal(expected, body.ToJsonString());
    }

    [Fact]
    public void ApplySet_WithoutEquals_IsAUsageError()
    {
        Assert.Throws<CliUsageException>(() => CliArguments.ApplySet([], "port"));
    }

    [Fact]
    public void Parse_OptionsAndFilters_AreSeparated()
    {
        CliArguments args = CliArguments.Parse(["servers", "list", "--site-id", "abc", "--json", "--page", "2"]);

        Assert.Equal(["servers", "list"], args.Positional);
        Assert.True(args.Json);
        Assert.Equal("2", args.Option("--page"));
        Assert.Equal([new KeyValuePair<string, string>("siteId", "abc")], args.Filters(new HashSet<string> { "--json", "--page" }));
    }

    [Fact]
    public void Parse_OptionWithoutValue_IsAUsageError()
    {
        Assert.Throws<CliUsageException>(() => CliArguments.Parse(["sites", "list", "--page"]));
    }

    [Fact]
    public void Parse_DryRun_StandsAlone()
    {
        CliArguments args = CliArguments.Parse(["import-ocserv", "--dry-run", "ocserv.conf"]);

        Assert.Equal(["import-ocserv", "ocserv.conf"], args.Positional);
        Assert.NotNull(args.Option("--dry-run"));
    }

    [Theory]
    [InlineData(new[] { "sites", "list" }, true)]
    [InlineData(new[] { "help" }, true)]
    [InlineData(new[] { "import-ocserv", "/etc/ocserv/ocserv.conf" }, true)]
    [InlineData(new[] { "--urls", "http://127.0.0.1:8080" }, false)]
    [InlineData(new string[0], false)]
    public void Handles_OnlyResourceVerbsAndHelp(string[] args, bool expected)
    {
        Assert.Equal(expected, AdminCli.Handles(args));
    }
}
