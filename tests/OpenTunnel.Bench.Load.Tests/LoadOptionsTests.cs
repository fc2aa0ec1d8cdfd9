using System.Net;

namespace OpenTunnel.Bench.Load.Tests;

[Trait("Category", "Unit")]
public sealed class LoadOptionsTests : IDisposable
{
    private const string Pin = "W8vjUb6asK7aKdxH9CcMt80KW177hf8kGOnVE9eWLpU=";
    private readonly string _secret = Path.GetTempFileName();

    public LoadOptionsTests()
    {
        File.WriteAllText(_secret, "s3cret\nignored\n");
    }

    [Fact]
    public void Parse_FullCommandLine_ReadsEverySetting()
    {
        var options = LoadOptions.Parse(
        [
            "--server", "198.18.1.1:443", "--pin-sha256", "pin-sha256:" + Pin, "--sessions", "1000", "--concurrency", "64",
            "--auth", "token", "--token-file", _secret, "--source-addresses", "198.18.1.100, 198.18.1.101",
            "--keepalive", "30", "--dpd", "60", "--hold", "5", "--timeout", "20", "--ping", "198.18.2.2", "--ping-interval", "0.5",
        ]);

        Assert.Equal(new DnsEndPoint("198.18.1.1", 443), options.Server);
        Assert.Equal(Pin, options.PinSha256);
        Assert.Equal(1000, options.Sessions);
        Assert.Equal(64, options.Concurrency);
        Assert.Equal(AuthMode.Token, options.Auth);
        Assert.Equal("s3cret", options.Token);
        Assert.Equal([IPAddress.Parse("198.18.1.100"), IPAddress.Parse("198.18.1.101")], options.SourceAddresses);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Keepalive);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Dpd);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Hold);
        Assert.Equal(TimeSpan.FromSeconds(20), options.Timeout);
        Assert.Equal(IPAddress.Parse("198.18.2.2"), options.Ping);
        Assert.Equal(TimeSpan.FromSeconds(0.5), options.PingInterval);
    }

    [Fact]
    public void Parse_Minimal_UsesDocumentedDefaults()
    {
        var options = LoadOptions.Parse(["--server", "[2001:db8:1::1]:4443", "--pin-sha256", Pin, "--password-file", _secret]);

        Assert.Equal(new DnsEndPoint("2001:db8:1::1", 4443), options.Server);
        Assert.Equal(10, options.Sessions);
        Assert.Equal(32, options.Concurrency);
        Assert.Equal(AuthMode.Password, options.Auth);
        Assert.Equal("bench", options.User);
        Assert.Equal("s3cret", options.Password);
        Assert.Empty(options.SourceAddresses);
        Assert.Equal(TimeSpan.Zero, options.Hold);
        Assert.Null(options.Ping);
        Assert.Equal(TimeSpan.FromSeconds(1), options.PingInterval);
    }

    [Theory]
    [InlineData("--sessions", "0", "--sessions")]
    [InlineData("--sessions", "many", "--sessions")]
    [InlineData("--concurrency", "5000", "--concurrency")]
    [InlineData("--server", "198.18.1.1", "--server")]
    [InlineData("--server", "198.18.1.1:70000", "--server")]
    [InlineData("--pin-sha256", "c2hvcnQ=", "--pin-sha256")]
    [InlineData("--auth", "kerberos", "--auth")]
    [InlineData("--source-addresses", "198.18.1.300", "--source-addresses")]
    [InlineData("--dpd", "-1", "--dpd")]
    [InlineData("--ping", "2001:db8::1", "--ping")]
    [InlineData("--ping", "corp", "--ping")]
    [InlineData("--ping-interval", "0", "--ping-interval")]
    [InlineData("--password-file", "/nonexistent/secret", "--password-file")]
    [InlineData("--frobnicate", "1", "--frobnicate")]
    public void Parse_BadValue_NamesTheSetting(string name, string value, string expected)
    {
        var defaults = new List<string> { "--server", "198.18.1.1:443", "--pin-sha256", Pin, "--password-file", _secret };
        int at = defaults.IndexOf(name);
        if (at >= 0)
        {
            defaults[at + 1] = value;
        }
        else
        {
            defaults.AddRange([name, value]);
        }

        var e = Assert.Throws<ArgumentException>(() => LoadOptions.Parse(defaults));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TokenAuthWithoutTokenFile_SaysWhatIsMissing()
    {
        var e = Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--server", "198.18.1.1:443", "--pin-sha256", Pin, "--auth", "token"]));

        Assert.Contains("--token-file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoPin_Refuses()
    {
        var e = Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--server", "198.18.1.1:443", "--password-file", _secret]));

        Assert.Contains("--pin-sha256", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => File.Delete(_secret);
}
