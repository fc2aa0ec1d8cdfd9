using OpenTunnel.Client.Cli;

namespace OpenTunnel.Client.Tests.Cli;

[Trait("Category", "Unit")]
public sealed class ClientArgumentsTests
{
    [Theory]
    [InlineData("https://mgmt.example", "https://mgmt.example/")]
    [InlineData("http://127.0.0.1:8080/base/", "http://127.0.0.1:8080/base/")]
    public void Url_HttpOrHttps_EndsWithSlash(string given, string expected)
    {
        Assert.Equal(new Uri(expected), SignIn(given).Url("server"));
    }

    [Theory]
    [InlineData("mgmt.example")]
    [InlineData("ftp://mgmt.example/")]
    [InlineData("https://mgmt.example/?x=1")]
    public void Url_NotAnHttpUrl_NamesTheOption(string given)
    {
        var e = Assert.Throws<UsageException>(() => SignIn(given).Url("server"));

        Assert.StartsWith($"--server '{given}' is not an http or https URL", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("86401")]
    [InlineData("1.5")]
    [InlineData("-3")]
    public void Seconds_OutOfRange_NamesTheRange(string every)
    {
        var e = Assert.Throws<UsageException>(() => Posture(every).Seconds("every", 1, 86400));

        Assert.Contains("from 1 to 86400", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Seconds_Given_ReturnsTheSpan()
    {
        Assert.Equal(TimeSpan.FromSeconds(300), Posture("300").Seconds("every", 1, 86400));
    }

    private static ClientArguments SignIn(string server) => new("signin", new Dictionary<string, string> { ["server"] = server }, []);

    private static ClientArguments Posture(string every) => new("posture", new Dictionary<string, string> { ["every"] = every }, []);
}
