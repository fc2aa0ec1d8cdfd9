using OpenTunnel.Bench.Servers;

namespace OpenTunnel.Bench.Tests.Servers;

[Trait("Category", "Unit")]
public sealed class OcservConfigTests
{
    [Fact]
    public void Render_ScaleSettings_HasPoolLimitsAndNoPacing()
    {
        var files = new OcservFiles("/tmp/run", new ServerCertificate("/tmp/run/cert.pem", "/tmp/run/key.pem", "pin"));

        string config = OcservConfig.Render(files, "198.18.1.1", 443, "ot1v", new ServerSettings("198.18.128.0", 17, 1000), "nobody", "nogroup");

        string[] lines = config.Split('\n');
        Assert.Contains("listen-host = 198.18.1.1", lines);
        Assert.Contains("tcp-port = 443", lines);
        Assert.Contains("udp-port = 443", lines);
        Assert.Contains("auth = \"plain[passwd=/tmp/run/ocpasswd]\"", lines);
        Assert.Contains("ipv4-network = 198.18.128.0", lines);
        Assert.Contains("ipv4-netmask = 255.255.128.0", lines);
        Assert.Contains("max-clients = 1016", lines);
        Assert.Contains("rate-limit-ms = 0", lines);
        Assert.Contains("route = 198.18.2.0/24", lines);
        Assert.Contains("dns = 198.18.2.53", lines);
        Assert.Contains("server-key = /tmp/run/key.pem", lines);
        Assert.Contains("device = ot1v", lines);
    }

    [Theory]
    [InlineData(24, "255.255.255.0")]
    [InlineData(17, "255.255.128.0")]
    [InlineData(32, "255.255.255.255")]
    [InlineData(0, "0.0.0.0")]
    public void PrefixToNetmask_GivesDottedQuad(int prefix, string expected)
    {
        Assert.Equal(expected, OcservConfig.PrefixToNetmask(prefix));
    }

    [Fact]
    public void PrefixToNetmask_OutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OcservConfig.PrefixToNetmask(33));
    }
}
