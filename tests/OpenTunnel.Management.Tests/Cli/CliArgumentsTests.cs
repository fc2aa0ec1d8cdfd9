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
    public void Filters_KebabOptions_AreCamelCaseQueryNames()
    {
        Assert.Equal([new KeyValuePair<string, string>("siteId", "abc")], CliArguments.Filters(["--site-id", "abc"]));
    }

    [Theory]
    [InlineData("--site-id")]
    [InlineData("--site-id", "--name", "x")]
    [InlineData("stray")]
    public void Filters_WithoutValueOrNotAnOption_IsAUsageError(params string[] tokens)
    {
        Assert.Throws<CliUsageException>(() => CliArguments.Filters(tokens));
    }
}
