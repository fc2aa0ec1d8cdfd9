using OpenTunnel.Client.Cli;

namespace OpenTunnel.Client.Tests.Cli;

[Trait("Category", "Unit")]
public sealed class ClientArgumentsTests
{
    [Fact]
    public void Parse_ConnectWithOptionsAndExtra_SplitsAtDoubleDash()
    {
        ClientArguments parsed = ClientArguments.Parse(["connect", "--gateway", "https://vpn:4443", "--servercert=pin-sha256:abc", "--", "--interface", "tun7", "-v"]);

        Assert.Equal("connect", parsed.Verb);
        Assert.Equal("https://vpn:4443", parsed["gateway"]);
        Assert.Equal("pin-sha256:abc", parsed["servercert"]);
        Assert.Equal(["--interface", "tun7", "-v"], parsed.Extra);
    }

    [Fact]
    public void Parse_Enroll_IsEnrol()
    {
        Assert.Equal("enrol", ClientArguments.Parse(["enroll"]).Verb);
    }

    [Fact]
    public void Parse_NoArguments_Help()
    {
        Assert.Equal("help", ClientArguments.Parse([]).Verb);
    }

    [Fact]
    public void Parse_ConnectWithProfileName_PositionalBesideOptions()
    {
        ClientArguments parsed = ClientArguments.Parse(["connect", "--servercert", "pin-sha256:abc", "office", "--refresh-every=5", "--", "-v"]);

        Assert.Equal(("office", "pin-sha256:abc", "5"), (parsed.Positional, parsed["servercert"], parsed["refresh-every"]));
        Assert.Equal(["-v"], parsed.Extra);
    }

    [Fact]
    public void Parse_JsonSwitch_TakesNoValue()
    {
        Assert.True(ClientArguments.Parse(["profiles", "--json"]).Has("json"));
        Assert.False(ClientArguments.Parse(["status"]).Has("json"));
    }

    [Theory]
    [InlineData(new[] { "connnect" }, "'connnect' is not a verb of opentunnel.")]
    [InlineData(new[] { "connect", "office", "lab" }, "'lab' is not an option of 'connect' (options start with --).")]
    [InlineData(new[] { "profiles", "--json=yes" }, "'--json' takes no value.")]
    [InlineData(new[] { "run", "--", "true" }, "'run' needs --profile.")]
    [InlineData(new[] { "token", "--sight", "a" }, "'--sight' is not an option of 'token'.")]
    [InlineData(new[] { "token", "--site" }, "'--site' needs a value.")]
    [InlineData(new[] { "token", "--site", "--out", "f" }, "'--site' needs a value.")]
    [InlineData(new[] { "token", "--site", "a", "--site=b" }, "'--site' is given twice.")]
    [InlineData(new[] { "signin" }, "'signin' needs --server.")]
    [InlineData(new[] { "token", "site" }, "'site' is not an option of 'token' (options start with --).")]
    [InlineData(new[] { "posture", "--", "x" }, "'posture' takes no arguments after '--'.")]
    public void Parse_BadCommandLine_NamesTheProblem(string[] args, string message)
    {
        Assert.Equal(message, Assert.Throws<UsageException>(() => ClientArguments.Parse(args)).Message);
    }

    [Theory]
    [InlineData("https://mgmt.example", "https://mgmt.example/")]
    [InlineData("http://127.0.0.1:8080/base/", "http://127.0.0.1:8080/base/")]
    public void Url_HttpOrHttps_EndsWithSlash(string given, string expected)
    {
        Assert.Equal(new Uri(expected), ClientArguments.Parse(["signin", "--server", given]).Url("server"));
    }

    [Theory]
    [InlineData("mgmt.example")]
    [InlineData("ftp://mgmt.example/")]
    [InlineData("https://mgmt.example/?x=1")]
    public void Url_NotAnHttpUrl_NamesTheOption(string given)
    {
        var e = Assert.Throws<UsageException>(() => ClientArguments.Parse(["signin", "--server", given]).Url("server"));

        Assert.StartsWith($"--server '{given}' is not an http or https URL", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("86401")]
    [InlineData("1.5")]
    [InlineData("-3")]
    public void Seconds_OutOfRange_NamesTheRange(string every)
    {
        var e = Assert.Throws<UsageException>(() => ClientArguments.Parse(["posture", $"--every={every}"]).Seconds("every", 1, 86400));

        Assert.Contains("from 1 to 86400", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Seconds_Given_ReturnsTheSpan()
    {
        Assert.Equal(TimeSpan.FromSeconds(300), ClientArguments.Parse(["posture", "--every", "300"]).Seconds("every", 1, 86400));
    }
}
